"""The late-fine estimate shown at the moment of a return, by the central side's own rule."""

from __future__ import annotations

import math
from datetime import datetime

from sync_agent.contract import FINE_PER_DAY

DAY_S = 86_400


def days_late(due_at: datetime | None, returned_at: datetime) -> int:
    """Days, counting a started day as a whole one, between the due time and the return."""
    if due_at is None or returned_at <= due_at:
        return 0
    return math.ceil((returned_at - due_at).total_seconds() / DAY_S)


def fine_estimate(due_at: datetime | None, returned_at: datetime) -> int:
    """KRW the patron will owe for returning at ``returned_at`` a loan due at ``due_at``."""
    return days_late(due_at, returned_at) * FINE_PER_DAY
