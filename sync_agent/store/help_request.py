"""A patron's call for staff (the "call staff" button of every patron screen, or F9).

The app writes the request, the agent's ``/metrics`` and ``kiosk-sync status`` read it, and the
technician screen shows it and ends it: one JSON value of :mod:`sync_agent.store.sync_state`
(:data:`sync_agent.store.sync_state.HELP_REQUEST`), ``{"open", "since", "screen", "total",
"acknowledged_at"}``, so both processes see the same request whoever restarts.

- :func:`request` opens one unless one is open: a second press while staff are on their way
  raises no second alert and counts nothing (the patron is told again that help is coming).
- :func:`acknowledge` ends it (a technician, on the technician screen).
- A request left open for :data:`TIMEOUT_S` counts as ended when read: the metric falls back to
  0 and the next press raises a new alert. Nothing needs to run for that to happen.
- ``total`` counts every request raised since the store was created (the metric
  ``kiosk_help_requests_total``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sync_agent.store import sync_state
from sync_agent.store.database import Store

TIMEOUT_S = 30 * 60.0
"""A request nobody acknowledged ends after half an hour: long enough for any staff member to
come, short enough that a forgotten one does not keep the alert firing all day."""
NONE: dict[str, Any] = {"open": False, "since": None, "screen": "", "total": 0, "acknowledged_at": None}


def _read(text: str | None, now: float) -> dict[str, Any]:
    recorded = {**NONE, **json.loads(text)} if text else dict(NONE)
    if recorded["open"] and now - float(recorded["since"]) >= TIMEOUT_S:
        recorded["open"] = False
    return recorded


def current(store: Store, now: float | None = None) -> dict[str, Any]:
    """The request as it stands (``open`` false when there is none, or it timed out)."""
    return _read(sync_state.get(store, sync_state.HELP_REQUEST), time.time() if now is None else now)


def request(store: Store, screen: str, now: float | None = None) -> bool:
    """Open a request from ``screen`` (a screen's name, for the technician); False when one is
    already open (nothing changes)."""
    now = time.time() if now is None else now
    with store.write() as conn:
        row = conn.execute("SELECT value FROM sync_state WHERE name = ?", (sync_state.HELP_REQUEST,)).fetchone()
        recorded = _read(row[0] if row else None, now)
        if recorded["open"]:
            return False
        opened = {"open": True, "since": now, "screen": screen, "total": recorded["total"] + 1,
                  "acknowledged_at": None}
        sync_state.put_within(conn, sync_state.HELP_REQUEST, json.dumps(opened))
    return True


def acknowledge(store: Store, now: float | None = None) -> bool:
    """End the open request (a technician came); False when none was open."""
    now = time.time() if now is None else now
    with store.write() as conn:
        row = conn.execute("SELECT value FROM sync_state WHERE name = ?", (sync_state.HELP_REQUEST,)).fetchone()
        recorded = _read(row[0] if row else None, now)
        if not recorded["open"]:
            return False
        sync_state.put_within(conn, sync_state.HELP_REQUEST,
                              json.dumps({**recorded, "open": False, "acknowledged_at": now}))
    return True
