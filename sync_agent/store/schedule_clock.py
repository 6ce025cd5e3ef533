"""The clock the outbox's schedule runs on: when an entry is next due, and until when a claim is held.

Retries and leases are intervals ("try again in 20 s", "this claim is mine for 60 s"). On the wall
clock, a kiosk without a clock battery, which boots with a wrong time until NTP steps it, would
park every retry for as long as the clock stepped back (an hour: an hour of returns not sent) and,
stepped forward, make every backoff due at once. So they are written on ``CLOCK_BOOTTIME``: seconds
since this boot, the same for the app and the agent, counted through suspend, never stepped.

It starts again near zero at the next boot, so a time written in an earlier boot means nothing.
No retry, hold or lease is ever scheduled further ahead than :data:`LONGEST_WAIT_S`, so a time
further ahead than that was written on another boot's clock (or on the wall clock, before this
schedule) and counts as due now: a due time as :func:`due_now_sql` says, a lease as run out.
(The boot id cannot tell: ``kiosk-sync.service`` hides it, ``ProcSubset=pid``.) What the patron did
(``occurredAt``) and when things were recorded stay on the wall clock: those are facts for people
and for the central side, not intervals.
"""

from __future__ import annotations

import time

LONGEST_WAIT_S = 3600.0
"""Longer than anything the kiosk schedules: a backoff (60 s at most), a ``Retry-After`` (capped
at 300 s), an intent held for its patron (2 x ``session_timeout_s``, 20 minutes at most), a lease
(minutes)."""


def now() -> float:
    """Seconds since this boot (``CLOCK_BOOTTIME``)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def due_now_sql(column: str) -> str:
    """An SQL condition: the time in ``column`` has come, given ``:now`` (:func:`now`), or it
    cannot have been written in this boot (more than :data:`LONGEST_WAIT_S` ahead)."""
    return f"({column} <= :now OR {column} > :now + {LONGEST_WAIT_S})"
