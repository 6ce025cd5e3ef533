"""The late-fine estimate shown at the moment of a return, by the central side's own rule.

Days are library-local calendar days (Seoul), so a book due today and returned tonight is on time.
"""

from __future__ import annotations

from datetime import datetime

from kiosk_app.i18n import LIBRARY_TZ
from sync_agent.wire.rest import FINE_PER_DAY

__all__ = ["LIBRARY_TZ", "days_late", "fine_estimate"]


def days_late(due_at: datetime | None, returned_at: datetime) -> int:
    """Calendar days (Seoul) from the due day to the day of the return; 0 when on time."""
    if due_at is None:
        return 0
    late = (returned_at.astimezone(LIBRARY_TZ).date() - due_at.astimezone(LIBRARY_TZ).date()).days
    return max(late, 0)


def fine_estimate(due_at: datetime | None, returned_at: datetime) -> int:
    """KRW the patron will owe for returning at ``returned_at`` a loan due at ``due_at``."""
    return days_late(due_at, returned_at) * FINE_PER_DAY
