"""The one client of the central API, used by the app (synchronous calls) and the agent (replay).

Every call goes through its dependency's breaker and answers a typed result instead of raising:

- :class:`Ok` — 2xx, with the parsed body (``replayed`` when the server says it is a repeat of an
  idempotency key it already applied);
- :class:`Refused` — the central side said no for a business reason (409) or to the request (other
  4xx): sending it again will not help;
- :class:`NotFound` — 404;
- :class:`Busy` — not answered: breaker open, timeout, connection error, 429, 5xx, or an answer that
  cannot be read (HTML from a proxy, truncated JSON). Worth trying again later.

Each call has one deadline (``call_timeout_ms``, the seed's 610 ms) over the whole exchange, TLS is
verified, and the bearer token travels in a header that is never logged.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sync_agent.breakers import Breakers, BreakerOpen
from sync_agent.contract import (
    IDEMPOTENCY_KEY_HEADER,
    REPLAYED_HEADER,
    Book,
    BookPage,
    ErrorBody,
    Health,
    KioskRent,
    Member,
    MyPage,
    Rental,
    ReserveRequest,
)
from sync_agent.outbox import Kind, OutboxEntry
from sync_agent.settings import Settings
from sync_agent.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

DEPENDENCY_OF_KIND = {Kind.RETURN: "returns", Kind.RENT: "lending", Kind.CANCEL: "lending"}


@dataclass(frozen=True)
class Ok(Generic[T]):
    value: T
    status: int = 200
    replayed: bool = False


@dataclass(frozen=True)
class Refused:
    code: str
    message: str
    status: int = 409


@dataclass(frozen=True)
class NotFound:
    message: str = ""


@dataclass(frozen=True)
class Busy:
    service: str
    retry_after_s: float | None
    reason: str


Result = Ok[T] | Refused | NotFound | Busy


UNREACHABLE = "connection: ConnectError"
"""The ``Busy.reason`` of a refused or unroutable connection: nothing answers (an outage, not a
load), which the breaker counts at once."""


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_body(response: httpx.Response) -> tuple[str, str]:
    """The machine code and message of an error answer, or a stand-in for an unreadable body."""
    try:
        body = ErrorBody.model_validate_json(response.content)
        return body.code.value, body.message
    except ValidationError:
        snippet = response.text[:80].replace("\n", " ") if response.content else "empty body"
        return f"http_{response.status_code}", f"unreadable error body: {snippet}"


class CentralClient:
    """Async client of the central API with one breaker per dependency."""

    def __init__(self, settings: Settings, store: Store | None = None, *, owner: str = "app",
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.timeout_s = settings.call_timeout_ms / 1000
        self.breakers = Breakers(settings, store, owner)
        headers = {"User-Agent": f"library-kiosk/{settings.id}"}
        token = settings.api_token.get_secret_value()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(
            base_url=str(settings.api_url), headers=headers, verify=True, transport=transport,
            timeout=httpx.Timeout(self.timeout_s), follow_redirects=False,
            limits=httpx.Limits(max_connections=max(8, settings.relay_parallelism * 2)))

    async def __aenter__(self) -> CentralClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the calls ---------------------------------------------------------------------------

    async def health(self) -> Result[Health]:
        """Not behind a breaker: it is how the kiosk finds out whether the central side is back."""
        return await self._exchange("central", "GET", "/health", _model(Health))

    async def member_by_card(self, card_number: str) -> Result[Member]:
        return await self._call("lending", "GET", f"/members/{card_number}", _model(Member))

    async def mypage(self, member_id: int) -> Result[MyPage]:
        return await self._call("views", "GET", f"/mypages/{member_id}", _model(MyPage))

    async def reserve(self, member_id: int, book_id: int, key: str) -> Result[Rental]:
        body = ReserveRequest(member_id=member_id, book_id=book_id)
        return await self._call("payment", "POST", "/rentals", _model(Rental), body=body, key=key)

    async def kiosk_rent(self, member_id: int, barcode: str, key: str,
                         occurred_at: datetime) -> Result[Rental]:
        body = KioskRent(member_id=member_id, barcode=barcode, kiosk_no=self.settings.id,
                         occurred_at=occurred_at)
        return await self._call("lending", "POST", "/kiosk/rentals", _model(Rental), body=body, key=key)

    async def book(self, barcode: str) -> Result[Book]:
        return await self._call("catalog", "GET", f"/books/{barcode}", _model(Book))

    async def books_since(self, since: datetime | None) -> Result[BookPage]:
        params = {"updatedSince": since.isoformat()} if since else None
        return await self._call("catalog", "GET", "/books", _model(BookPage), params=params)

    async def deliver(self, entry: OutboxEntry) -> Result[dict[str, Any]]:
        """Send one outbox entry with its idempotency key; the body answered is kept as is, once it
        reads as the contract's ``Rental`` (every outbox kind is answered with one)."""
        dependency = DEPENDENCY_OF_KIND[entry.kind]
        if entry.kind is Kind.CANCEL:
            method, path = "PATCH", f"/rentals/{entry.rental_id}"
        else:
            method, path = "POST", "/kiosk/returns" if entry.kind is Kind.RETURN else "/kiosk/rentals"
        return await self._call(dependency, method, path, _rental_object, json=entry.payload, key=entry.key)

    # -- plumbing ----------------------------------------------------------------------------

    async def _call(self, dependency: str, method: str, path: str, parse: Callable[[Any], T], *,
                    body: BaseModel | None = None, json: dict[str, Any] | None = None,
                    key: str | None = None, params: dict[str, str] | None = None) -> Result[T]:
        try:
            with self.breakers.guard(dependency) as call:
                result = await self._exchange(dependency, method, path, parse, body=body, json=json,
                                              key=key, params=params)
                if isinstance(result, Busy):
                    call.failed(refused=result.reason == UNREACHABLE)
                return result
        except BreakerOpen as exc:
            return Busy(dependency, exc.retry_after_s, "breaker_open")

    async def _exchange(self, dependency: str, method: str, path: str, parse: Callable[[Any], T], *,
                        body: BaseModel | None = None, json: dict[str, Any] | None = None,
                        key: str | None = None, params: dict[str, str] | None = None) -> Result[T]:
        headers = {IDEMPOTENCY_KEY_HEADER: key} if key else {}
        if body is not None:
            json = body.model_dump(mode="json", by_alias=True)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._http.request(method, path, json=json, headers=headers,
                                                    params=params)
        except (TimeoutError, httpx.TimeoutException):
            log.info("%s %s: timeout after %d ms", method, path, self.settings.call_timeout_ms)
            return Busy(dependency, None, "timeout")
        except httpx.TransportError as exc:
            log.info("%s %s: %s", method, path, type(exc).__name__)
            return Busy(dependency, None, f"connection: {type(exc).__name__}")
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("%s %s: %d in %.0f ms", method, path, response.status_code, elapsed_ms)
        return _classify(dependency, response, parse)


def _classify(dependency: str, response: httpx.Response, parse: Callable[[Any], T]) -> Result[T]:
    status = response.status_code
    if 200 <= status < 300:
        try:
            value = parse(response.json())
        except (ValueError, ValidationError) as exc:
            return Busy(dependency, None, f"malformed answer ({status}): {type(exc).__name__}")
        replayed = response.headers.get(REPLAYED_HEADER, "").lower() == "true"
        return Ok(value, status, replayed)
    if status == 404:
        return NotFound(_error_body(response)[1])
    if status in (408, 429) or status >= 500:
        code, _ = _error_body(response)
        return Busy(dependency, parse_retry_after(response.headers.get("Retry-After")), code)
    if 400 <= status < 500:
        code, message = _error_body(response)
        return Refused(code, message, status)
    return Busy(dependency, None, f"unexpected status {status}")


def _model(model: type[M]) -> Callable[[Any], M]:
    return model.model_validate


def _rental_object(data: Any) -> dict[str, Any]:
    """A delivery's answer as sent, if it is a ``Rental``: a 2xx with anything else did not say
    the change was made, so it is retried, never taken for delivered."""
    Rental.model_validate(data)
    return data
