"""The one client of the central API, used by the app (synchronous calls) and the agent (replay).

Every call goes through its dependency's breaker and answers one of the typed results of
:mod:`sync_agent.central.results` instead of raising. The line between :class:`Busy` (certainly not acted
upon) and :class:`InDoubt` (sent, answer lost or unreadable: it may have been applied) is drawn
here, once: a refused connection, an open breaker, the central side's own 503 ``service_down`` and
429 are Busy, and so are the answers about the kiosk rather than the request (401/403, a 422 for
a clock running ahead, ``idempotency_mismatch``: reasons in ``results.KIOSK_WIDE``); a timeout,
a connection dropped after sending, any other 5xx (a proxy's 502/504, a crash) and an unreadable
2xx are InDoubt.

Nothing the central side sends raises out of here: a broken gzip body, JSON nested deeper than
Python's recursion limit, a ``Retry-After`` of ``²``, a body of 150 MB (refused at 1 MiB while
streaming, :mod:`sync_agent.central.rest.capped_body`) and any exception no rule foresaw all become a typed
result, because an exception here ends the agent (a crash loop under systemd) or the patron app.

Each call has one deadline over the whole exchange: ``call_timeout_ms`` (the seed's 610 ms) in the
app, where a patron waits, ``background_timeout_ms`` in the agent, where nobody does (a service
that stays slower than 610 ms would otherwise never be heard from). TLS is verified, and the
bearer token travels in a header that is never logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from sync_agent.central.breakers import Breakers, through
from sync_agent.central.port import DEPENDENCY_OF, Command, Verb
from sync_agent.central.rest.capped_body import ACCEPT_ENCODING, TOO_LARGE, Body, read_capped
from sync_agent.central.rest.delivery_answer import (
    EXPECTED_STATUS,
    MADE_AT,
    NotAboutEntry,
    kept,
    kept_answer,
    made_by,
)
from sync_agent.central.rest.retry_after import parse_retry_after
from sync_agent.central.results import (
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
from sync_agent.wire.rest import (
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
    PinCheck,
    Rental,
    ReservationQuote,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
_RENTALS = TypeAdapter(list[Rental])



MAX_MESSAGE_CHARS = 300
"""A refusal's message is kept (dead letter, log) up to this: enough for any sentence a person
wrote, not room for a body stuffed into the field."""


def _error_body(body: bytes | None) -> ErrorBody | None:
    if not body:
        return None
    try:
        return ErrorBody.model_validate_json(body)
    except ValidationError:
        return None


def _error_text(status: int, body: Body) -> tuple[str, str]:
    """The machine code and message of an error answer, or a stand-in for an unreadable body."""
    error = _error_body(body.content)
    if error is not None:
        return error.code.value, error.message[:MAX_MESSAGE_CHARS]
    if body.content is None:
        return f"http_{status}", f"unreadable error body: {body.problem}"
    snippet = body.content[:80].decode("utf-8", "replace").replace("\n", " ") or "empty body"
    return f"http_{status}", f"unreadable error body: {snippet}"


class CentralClient:
    """Async client of the central API with one breaker per dependency."""

    lends_from_shelf = False  # a self-rent needs a reservation (paid) first
    answers_in_order = False  # parallel HTTP requests
    sends_stored_checkouts = True  # a stored self-rent names the member by id: the agent can send it

    def __init__(self, settings: Settings, *, owner: str = "app",
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.timeout_s = settings.call_timeout_s(owner)
        self.breakers = Breakers(settings)
        headers = {"User-Agent": f"library-kiosk/{settings.id}", "Accept-Encoding": ACCEPT_ENCODING}
        token = settings.api_token.get_secret_value()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._headers = headers
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made at the first call rather than here: making it builds the TLS
        context (the CA bundle read and parsed), tens of milliseconds that the kiosk's first
        screen should not wait for."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=str(self.settings.api_url), headers=self._headers, verify=True,
                transport=self._transport, timeout=httpx.Timeout(self.timeout_s), follow_redirects=False,
                limits=httpx.Limits(max_connections=max(8, self.settings.relay_parallelism * 2)))
        return self._client

    def use_credentials(self, settings: Settings) -> None:
        """Send the bearer token of ``settings`` from the next call on (a technician replaced it;
        never logged)."""
        token = settings.api_token.get_secret_value()
        headers = self._client.headers if self._client is not None else self._headers
        if token:
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers.pop("Authorization", None)

    async def __aenter__(self) -> CentralClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # -- the calls ---------------------------------------------------------------------------

    async def health(self) -> Result[Health]:
        """Not behind a breaker: it is how the kiosk finds out whether the central side is back."""
        return await self._exchange("central", "GET", "/health", _model(Health))

    async def member_by_card(self, card_number: str) -> Result[Member]:
        return await self._call("lending", "GET", f"/members/{card_number}", _model(Member))

    async def check_pin(self, card_number: str, pin: SecretStr) -> Result[PinCheck]:
        """``POST /members/{card}/pin-check``: 200 is the answer, and so is 423 Locked (with
        ``lockedUntil``); no idempotency key, for each check is a try the central side counts."""
        return await self._call("lending", "POST", f"/members/{card_number}/pin-check", _pin_check,
                                json={"pin": pin.get_secret_value()}, answers=LOCKED)

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

    async def renew_all(self, member_id: int, keys: Mapping[str, str]) -> dict[str, Result[Rental]]:
        """One renewal call per loan, each under its own key: the API has no renew-all call, and
        each answer carries its own reason."""
        return {barcode: await self.renew(member_id, barcode, key) for barcode, key in keys.items()}

    async def end_patron_session(self, member_id: int) -> Result[None]:
        """The REST API keeps no patron session: nothing to end."""
        return Ok(None)

    async def check_in(self, command: Command) -> Result[dict[str, Any]]:
        return await self._send(Verb.CHECK_IN, "POST", "/kiosk/returns", command)

    async def check_out(self, command: Command) -> Result[dict[str, Any]]:
        return await self._send(Verb.CHECK_OUT, "POST", "/kiosk/rentals", command)

    async def reserve(self, command: Command) -> Result[dict[str, Any]]:
        return await self._send(Verb.RESERVE, "POST", "/rentals", command)

    async def cancel(self, command: Command) -> Result[dict[str, Any]]:
        return await self._send(Verb.CANCEL, "PATCH", f"/rentals/{command.rental_id}", command)

    async def unrent(self, command: Command) -> Result[dict[str, Any]]:
        return await self._send(Verb.UNRENT, "PATCH", f"/rentals/{command.rental_id}", command)

    async def _send(self, verb: Verb, method: str, path: str, command: Command) -> Result[dict[str, Any]]:
        """Send one command with its idempotency key. Ok only for a ``Rental`` about this very
        command, and then with only the fields the kiosk keeps
        (:mod:`sync_agent.central.rest.delivery_answer`); a 2xx about another request is in doubt
        (``MISMATCHED``).

        A self-rent or reservation tried before may have been applied while its answer was lost:
        the member's rentals are read first (:meth:`made_by_command`), and what it made settles it
        as a replay would, without sending it again through book management or payment, whose
        slowness may be why the answer was lost."""
        if verb in MADE_AT and command.tried_before:
            made = await self.made_by_command(verb, command)
            if made is not None:
                return made
        return await self._call(DEPENDENCY_OF[verb], method, path, partial(kept_answer, verb, command),
                                json=command.body, key=command.key)

    async def made_by_command(self, verb: Verb, command: Command) -> Ok[dict[str, Any]] | None:
        """The loan a self-rent made, or the reservation a reserve made, read from the rental
        service's own records (``GET /rentals?memberId=&status=``: neither book management nor
        payment on the way), as the kept fields of a replayed answer; None when there is none, or
        the records cannot be read now (then only the call itself, under its key, can settle it)."""
        status = EXPECTED_STATUS[verb].value
        found = await self._call("views", "GET", "/rentals", _RENTALS.validate_json,
                                 params={"memberId": str(command.member_id), "status": status})
        if not isinstance(found, Ok):
            return None
        made = next((rental for rental in found.value if made_by(verb, command, rental, self.settings.id)),
                    None)
        return Ok(kept(made), 200, replayed=True) if made is not None else None

    # -- plumbing ----------------------------------------------------------------------------

    async def _call(self, dependency: str, method: str, path: str, parse: Callable[[Any], T], *,
                    body: BaseModel | None = None, json: dict[str, Any] | None = None,
                    key: str | None = None, params: dict[str, str] | None = None,
                    answers: frozenset[int] = frozenset()) -> Result[T]:
        return await through(self.breakers, dependency, lambda: self._exchange(
            dependency, method, path, parse, body=body, json=json, key=key, params=params,
            answers=answers))

    async def _exchange(self, dependency: str, method: str, path: str, parse: Callable[[Any], T], *,
                        body: BaseModel | None = None, json: dict[str, Any] | None = None,
                        key: str | None = None, params: dict[str, str] | None = None,
                        answers: frozenset[int] = frozenset()) -> Result[T]:
        """One exchange; ``answers``: statuses besides 2xx whose body is the call's answer."""
        headers = {IDEMPOTENCY_KEY_HEADER: key} if key else {}
        if body is not None:
            json = body.model_dump(mode="json", by_alias=True)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                request = self._http.build_request(method, path, json=json, headers=headers,
                                                   params=params)
                response = await self._http.send(request, stream=True)
                try:
                    content = await read_capped(response)
                finally:
                    await response.aclose()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing left the kiosk: no connection was made.
            log.info("%s %s: %s", method, path, type(exc).__name__)
            return Busy(dependency, None, BusyReason.UNREACHABLE, type(exc).__name__)
        except (TimeoutError, httpx.TimeoutException):
            log.info("%s %s: timeout after %.0f ms", method, path, self.timeout_s * 1000)
            return InDoubt(dependency, DoubtReason.TIMEOUT)
        except httpx.TransportError as exc:
            log.info("%s %s: %s", method, path, type(exc).__name__)
            return InDoubt(dependency, DoubtReason.CONNECTION_LOST, type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - whatever else the exchange raised, it may have been sent
            log.warning("%s %s: unexpected %s: %s", method, path, type(exc).__name__, str(exc)[:200])
            return InDoubt(dependency, DoubtReason.MALFORMED, f"unexpected {type(exc).__name__}")
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("%s %s: %d in %.0f ms", method, path, response.status_code, elapsed_ms)
        try:
            return _classify(dependency, response.status_code, response.headers, content, parse, answers)
        except Exception as exc:  # noqa: BLE001 - an answer no rule foresaw is never a crash
            log.warning("%s %s: answer %d not classified: %s", method, path, response.status_code,
                        type(exc).__name__)
            return InDoubt(dependency, DoubtReason.MALFORMED, f"unexpected {type(exc).__name__}")


def _classify(dependency: str, status: int, headers: httpx.Headers, body: Body,
              parse: Callable[[bytes], T], answers: frozenset[int] = frozenset()) -> Result[T]:
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if 200 <= status < 300 or status in answers:
        if body.content is None:
            reason = DoubtReason.TOO_LARGE if body.problem == TOO_LARGE else DoubtReason.MALFORMED
            return InDoubt(dependency, reason, f"{status}: {body.problem}")
        try:
            value = parse(body.content)
        except NotAboutEntry as exc:
            return InDoubt(dependency, DoubtReason.MISMATCHED, str(exc))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            return InDoubt(dependency, DoubtReason.MALFORMED, f"{status}: {type(exc).__name__}")
        replayed = headers.get(REPLAYED_HEADER, "").lower() == "true"
        return Ok(value, status, replayed)
    if status == 404:
        return NotFound(_error_text(status, body)[1])
    if status == 429:
        return Busy(dependency, retry_after, BusyReason.RATE_LIMITED)
    if status == 408:
        return Busy(dependency, retry_after, BusyReason.NOT_READ)
    if status == 503:
        error = _error_body(body.content)
        if error is not None and error.code is ErrorCode.SERVICE_DOWN:
            # The central side's own answer: its fault gate runs before any data is touched.
            return Busy(dependency, retry_after, BusyReason.SERVICE_DOWN, error.service or "")
    if status >= 500:
        code, _ = _error_text(status, body)
        return InDoubt(dependency, DoubtReason.SERVER_ERROR, code, retry_after)
    if 400 <= status < 500:
        code, message = _error_text(status, body)
        kiosk_wide = _kiosk_wide_reason(status, code, message)
        if kiosk_wide is not None:
            return Busy(dependency, None, kiosk_wide, f"{status} {code}: {message}")
        return Refused(code, message, status)
    return InDoubt(dependency, DoubtReason.SERVER_ERROR, f"unexpected status {status}")


def _kiosk_wide_reason(status: int, code: str, message: str) -> BusyReason | None:
    """A refusal about the kiosk rather than the request: the same answer awaits every entry, and
    none of them was applied (sync_agent.agent.kiosk_wide pauses delivery until the cause is gone)."""
    if status in (401, 403):
        return BusyReason.UNAUTHORIZED
    if status == 422 and code == ErrorCode.IDEMPOTENCY_MISMATCH:
        return BusyReason.KEYS_REJECTED
    if status == 422 and code == ErrorCode.VALIDATION_ERROR and "in the future" in message:
        return BusyReason.CLOCK_SKEW
    return None


LOCKED = frozenset({423})
"""A PIN check's 423 Locked is an answer (the card's PIN entry is locked), not a refusal."""


def _pin_check(content: bytes) -> PinCheck:
    """A PIN check's answer; a lock without its end cannot be told to the patron (unreadable)."""
    check = PinCheck.model_validate_json(content)
    if check.tries_left == 0 and check.locked_until is None and not check.valid:
        raise ValueError("a locked PIN check without lockedUntil")
    return check


def _model(model: type[M]) -> Callable[[bytes], M]:
    return model.model_validate_json


__all__ = ["Busy", "CentralClient", "InDoubt", "NotFound", "Ok", "Refused",
           "Result", "parse_retry_after"]
