"""The library's lending rules and their numbers, in one place.

Pure functions of timestamps: the services call them, the tests check them, and
``docs/architecture.md`` ("The stand-in") lists the same figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sync_agent.wire.rest import FINE_PER_DAY  # KRW per overdue day, in library-local calendar days

LOAN_DAYS = 14
"""A loan is due at the end of the 14th day after it starts."""
HOLD_DAYS = 3
"""A reservation waits this long for pickup, then expires and is refunded."""
RESTORED_HOLD_DAYS = 1
"""A reservation given back by undoing a kiosk loan (``kioskunrent``) waits at least this long
again: its patron was told to come back for it."""
RESERVATION_FEE = 1000
"""KRW, paid synchronously through the payment service when reserving."""
RENEWAL_LIMIT = 2
"""A loan may be renewed this many times."""
RENEW_OVERDUE = False
"""Whether an overdue loan may be renewed; this library says no (the fine is settled first)."""
FINE_BLOCK_LIMIT = 10_000
"""KRW: a member whose unpaid fines exceed this is blocked."""
PIN_MAX_TRIES = 3
"""Wrong PINs in a row after which the card's PIN entry is locked (counted here, not at a kiosk)."""
PIN_LOCK_S = 15 * 60
"""How long that lock lasts; the right PIN before it clears the count of wrong ones."""

LIBRARY_TZ = timezone(timedelta(hours=9), "KST")
"""Due dates are calendar days in Seoul (no daylight saving)."""


def due_at(rented_at: datetime) -> datetime:
    return rented_at + timedelta(days=LOAN_DAYS)


def renewed_due(due: datetime, now: datetime) -> datetime:
    """A renewal adds a loan period to the old due date (to today, if that has passed)."""
    return max(due, now) + timedelta(days=LOAN_DAYS)


def hold_until(reserved_at: datetime) -> datetime:
    return reserved_at + timedelta(days=HOLD_DAYS)


def restored_hold_until(hold: datetime | None, now: datetime) -> datetime:
    """The hold of a reservation given back: as it was, but never ending within a day."""
    least = now + timedelta(days=RESTORED_HOLD_DAYS)
    return max(hold, least) if hold is not None else least


def overdue_days(due: datetime, at: datetime) -> int:
    """Whole calendar days (Seoul) between the due day and the day of ``at``; 0 if on time."""
    late = (at.astimezone(LIBRARY_TZ).date() - due.astimezone(LIBRARY_TZ).date()).days
    return max(late, 0)


def fine_for(due: datetime, returned: datetime) -> int:
    """The fine of a return made at ``returned`` (the patron's act, not the delivery)."""
    return overdue_days(due, returned) * FINE_PER_DAY


def is_blocked_by_fines(fines: int) -> bool:
    return fines > FINE_BLOCK_LIMIT
