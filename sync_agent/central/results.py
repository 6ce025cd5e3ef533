"""What a call to the central side can come back with, as types the callers match on.

Five outcomes, decided once in the client so that no caller reads exception names out of strings:

- :class:`Ok` — the central side did it (or had done it: ``replayed``);
- :class:`Refused` — it said no, with a machine code; sending it again will not help;
- :class:`NotFound` — the card, copy or rental does not exist there;
- :class:`Busy` — it certainly did **not** act: the request never left (open breaker, refused
  connection) or the central side said so itself (503 ``service_down``, 429). Safe to tell a
  patron "nothing happened";
- :class:`InDoubt` — it **may** have acted: the request was sent and the answer was lost or cannot
  be read (a timeout, a connection dropped after sending, a proxy's 502/504, an unreadable 2xx).
  Never "no": only asking again under the same idempotency key settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T", covariant=True)  # Ok is frozen: an Ok[dict] is an Ok[object]


class BusyReason(StrEnum):
    """Why a call certainly was not acted upon."""

    BREAKER_OPEN = "breaker_open"
    UNREACHABLE = "unreachable"  # connection refused / could not connect: nothing was sent
    SERVICE_DOWN = "service_down"  # the central side's own 503 (ErrorBody), before it touched data
    RATE_LIMITED = "rate_limited"  # 429
    NOT_READ = "not_read"  # 408: the server gave up before reading the request
    # About the kiosk, not the entry (sync_agent.agent.kiosk_wide): every entry would get the same answer
    UNAUTHORIZED = "unauthorized"  # 401/403: the kiosk's API token is refused
    CLOCK_SKEW = "clock_skew"  # 422 "occurredAt is in the future": the kiosk's clock runs ahead
    KEYS_REJECTED = "keys_rejected"  # 422 idempotency_mismatch: a key reused after a rollback
    LOGIN_REFUSED = "login_refused"  # SIP2: the ACS refuses the kiosk's login (94 ok=0, or a hang-up on the 93)


KIOSK_WIDE = frozenset({BusyReason.UNAUTHORIZED, BusyReason.CLOCK_SKEW, BusyReason.KEYS_REJECTED,
                        BusyReason.LOGIN_REFUSED})
"""Busy reasons that pause all delivery instead of counting against one entry."""
LOGIN_CHECK = ("check sip2_user, sip2_password (the credential kiosk_sip2_password) and "
               "sip2_location, and that the ACS has a SIP account for that user, enabled, "
               "allowed at that location")
"""What a technician checks when the SIP2 ACS refuses the kiosk's login (``LOGIN_REFUSED``): said
by the connection's log line and by the kiosk-wide state (:mod:`sync_agent.agent.kiosk_wide`)."""


class DoubtReason(StrEnum):
    """Why a sent call may or may not have been acted upon."""

    TIMEOUT = "timeout"
    CONNECTION_LOST = "connection_lost"  # dropped or reset after sending
    SERVER_ERROR = "server_error"  # 5xx other than the central side's own 503: a proxy, a crash
    MALFORMED = "malformed"  # a 2xx that cannot be read as the answer the call expects
    TOO_LARGE = "too_large"  # a 2xx whose body is over the cap: refused unread (capped_body)
    MISMATCHED = "mismatched"  # a readable 2xx about another request (delivery_answer)


@dataclass(frozen=True)
class Ok(Generic[T]):
    value: T
    status: int = 200
    replayed: bool = False
    title: str = ""
    """The item's title when the answer names it (a SIP2 AJ), for the screen and the receipt only:
    it is never written with the entry (no title in the outbox, docs/privacy.md)."""


@dataclass(frozen=True)
class Refused:
    code: str
    message: str
    status: int = 409
    said: str = ""
    """The library's own words for the patron (a SIP2 ACS's AF screen message), shown under the
    kiosk's; empty when the central side sends none meant for patrons (the REST message is not)."""


@dataclass(frozen=True)
class NotFound:
    message: str = ""


@dataclass(frozen=True)
class Busy:
    service: str
    retry_after_s: float | None
    reason: BusyReason
    detail: str = ""


@dataclass(frozen=True)
class InDoubt:
    service: str
    reason: DoubtReason
    detail: str = ""
    retry_after_s: float | None = None


Unanswered = Busy | InDoubt
"""No usable answer: worth asking again later (with the same key, for a command)."""

Result = Ok[T] | Refused | NotFound | Busy | InDoubt


def is_kiosk_wide(result: object) -> bool:
    return isinstance(result, Busy) and result.reason in KIOSK_WIDE


def describe(result: Unanswered) -> str:
    """One line for logs and ``last_error``: ``service: reason (detail)``."""
    detail = f" ({result.detail})" if result.detail else ""
    return f"{result.service}: {result.reason.value}{detail}"
