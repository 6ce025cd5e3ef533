"""The one client of the central API, used by the app (synchronous calls) and the agent (replay).

Every call goes through its dependency's breaker and answers one of the typed results of
:mod:`sync_agent.results` instead of raising. The line between :class:`Busy` (certainly not acted
upon) and :class:`InDoubt` (sent, answer lost or unreadable: it may have been applied) is drawn
here, once: a refused connection, an open breaker, the central side's own 503 ``service_down`` and
429 are Busy; a timeout, a connection dropped after sending, any other 5xx (a proxy's 502/504, a
crash) and an unreadable 2xx are InDoubt.

Each call has one deadline (``call_timeout_ms``, the seed's 610 ms) over the whole exchange, TLS is
verified, and the bearer token travels in a header that is never logged.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sync_agent.breakers import Breakers, through
from sync_agent.contract import (
    IDEMPOTENCY_KEY_HEADER,
    REPLAYED_HEADER,
    Book,
    BookPage,
    ErrorBody,
    ErrorCode,
    Health,
    ItemState,
    KioskRenew,
    Member,
    MyPage,
    Rental,
    ReservationQuote,
)
from sync_agent.central import DEPENDENCY_OF_KIND
from sync_agent.outbox import Kind, OutboxEntry
from sync_agent.results import (
    Busy,
    BusyReason,
    DoubtReason,
    InDoubt,
    NotFound,
    Ok,
    Refused,
    Result,
)
from sync_agent.settings import Settings
from sync_agent.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)





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


def _error_body(response: httpx.Response) -> ErrorBody | None:
    try:
        return ErrorBody.model_validate_json(response.content)
    except ValidationError:
        return None


def _error_text(response: httpx.Response) -> tuple[str, str]:
    """The machine code and message of an error answer, or a stand-in for an unreadable body."""
    body = _error_body(response)
    if body is not None:
        return body.code.value, body.message
    snippet = response.text[:80].replace("\n", " ") if response.content else "empty body"
    return f"http_{response.status_code}", f"unreadable error body: {snippet}"


class CentralClient:
    """Async client of the central API with one breaker per dependency."""

    lends_from_shelf = False  # a self-rent needs a reservation (paid) first
    sends_stored_checkouts = True  # a stored self-rent names the member by id: the agent can send it

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

    async def book(self, barcode: str) -> Result[Book]:
        return await self._call("catalog", "GET", f"/books/{barcode}", _model(Book))

    async def books_since(self, since: datetime | None) -> Result[BookPage]:
        params = {"updatedSince": since.isoformat()} if since else None
        return await self._call("catalog", "GET", "/books", _model(BookPage), params=params)

    async def item_state(self, barcode: str) -> Result[ItemState]:
        """Whether a copy is on loan (asked before a return is accepted; the returns breaker)."""
        return await self._call("returns", "GET", f"/kiosk/items/{barcode}", _model(ItemState))

    async def reservation_quote(self, member_id: int, book_id: int) -> Result[ReservationQuote]:
        return await self._call("payment", "GET", "/payments/quote", _model(ReservationQuote),
                                params={"memberId": str(member_id), "bookId": str(book_id)})

    async def renew(self, member_id: int, barcode: str, key: str) -> Result[Rental]:
        body = KioskRenew(member_id=member_id, barcode=barcode, kiosk_no=self.settings.id)
        return await self._call("lending", "POST", "/kiosk/renewals", _model(Rental), body=body, key=key)

    async def deliver(self, entry: OutboxEntry) -> Result[dict[str, Any]]:
        """Send one outbox entry with its idempotency key; the body answered is kept as is, once it
        reads as the contract's ``Rental`` (every outbox kind is answered with one)."""
        dependency = DEPENDENCY_OF_KIND[entry.kind]
        if entry.kind is Kind.CANCEL:
            method, path = "PATCH", f"/rentals/{entry.rental_id}"
        elif entry.kind is Kind.RESERVE:
            method, path = "POST", "/rentals"
        else:
            method, path = "POST", "/kiosk/returns" if entry.kind is Kind.RETURN else "/kiosk/rentals"
        return await self._call(dependency, method, path, _rental_object, json=entry.payload, key=entry.key)

    # -- plumbing ----------------------------------------------------------------------------

    async def _call(self, dependency: str, method: str, path: str, parse: Callable[[Any], T], *,
                    body: BaseModel | None = None, json: dict[str, Any] | None = None,
                    key: str | None = None, params: dict[str, str] | None = None) -> Result[T]:
        return await through(self.breakers, dependency, lambda: self._exchange(
            dependency, method, path, parse, body=body, json=json, key=key, params=params))

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
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing left the kiosk: no connection was made.
            log.info("%s %s: %s", method, path, type(exc).__name__)
            return Busy(dependency, None, BusyReason.UNREACHABLE, type(exc).__name__)
        except (TimeoutError, httpx.TimeoutException):
            log.info("%s %s: timeout after %d ms", method, path, self.settings.call_timeout_ms)
            return InDoubt(dependency, DoubtReason.TIMEOUT)
        except httpx.TransportError as exc:
            log.info("%s %s: %s", method, path, type(exc).__name__)
            return InDoubt(dependency, DoubtReason.CONNECTION_LOST, type(exc).__name__)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("%s %s: %d in %.0f ms", method, path, response.status_code, elapsed_ms)
        return _classify(dependency, response, parse)


def _classify(dependency: str, response: httpx.Response, parse: Callable[[Any], T]) -> Result[T]:
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if 200 <= status < 300:
        try:
            value = parse(response.json())
        except (ValueError, ValidationError) as exc:
            return InDoubt(dependency, DoubtReason.MALFORMED, f"{status}: {type(exc).__name__}")
        replayed = response.headers.get(REPLAYED_HEADER, "").lower() == "true"
        return Ok(value, status, replayed)
    if status == 404:
        return NotFound(_error_text(response)[1])
    if status == 429:
        return Busy(dependency, retry_after, BusyReason.RATE_LIMITED)
    if status == 408:
        return Busy(dependency, retry_after, BusyReason.NOT_READ)
    if status == 503:
        body = _error_body(response)
        if body is not None and body.code is ErrorCode.SERVICE_DOWN:
            # The central side's own answer: its fault gate runs before any data is touched.
            return Busy(dependency, retry_after, BusyReason.SERVICE_DOWN, body.service or "")
    if status >= 500:
        code, _ = _error_text(response)
        return InDoubt(dependency, DoubtReason.SERVER_ERROR, code, retry_after)
    if 400 <= status < 500:
        code, message = _error_text(response)
        return Refused(code, message, status)
    return InDoubt(dependency, DoubtReason.SERVER_ERROR, f"unexpected status {status}")


def _model(model: type[M]) -> Callable[[Any], M]:
    return model.model_validate


def _rental_object(data: Any) -> dict[str, Any]:
    """A delivery's answer as sent, if it is a ``Rental``: a 2xx with anything else did not say
    the change was made, so it is retried, never taken for delivered."""
    Rental.model_validate(data)
    return data


__all__ = ["DEPENDENCY_OF_KIND", "Busy", "CentralClient", "InDoubt", "NotFound", "Ok", "Refused",
           "Result", "parse_retry_after"]
