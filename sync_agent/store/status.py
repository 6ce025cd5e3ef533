"""Status the technician screen and ``kiosk-sync status`` read.

This module owns the ``devices`` and ``breakers`` tables (``sync_agent.store.database.OWNERS``): the app
records its devices, each process its own breakers; the kiosk-wide state and the last successful
sync are values of :mod:`sync_agent.store.sync_state`, the delivery totals :mod:`sync_agent.store.counters`.
Each write is one short transaction, so neither process blocks the other for long.
:func:`snapshot` is the single picture both readers show.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sync_agent.store import counters, help_request, mail_jobs, sync_state
from sync_agent.store.database import Store, StoreError, unwritable
from sync_agent.store.outbox import Outbox

log = logging.getLogger(__name__)


def record_device_status(store: Store, name: str, status: dict[str, Any]) -> None:
    """Keep the latest status of a device (scanner, card reader, printer)."""
    with store.write() as conn:
        conn.execute("INSERT INTO devices (name, status, updated_at) VALUES (?, ?, ?) "
                     "ON CONFLICT(name) DO UPDATE SET status = excluded.status, "
                     "updated_at = excluded.updated_at", (name, json.dumps(status), time.time()))


def device_statuses(store: Store) -> dict[str, dict[str, Any]]:
    """Each device's latest status, with ``updated_at`` (epoch seconds) added."""
    return {row["name"]: {**json.loads(row["status"]), "updated_at": row["updated_at"]}
            for row in store.rows("SELECT * FROM devices ORDER BY name")}


def breaker_recorder(store: Store, owner: str) -> Callable[[str, str, int, float | None], None]:
    """What a process hands its breakers (``Breakers.report_to``) to keep their states, as the
    process ``owner`` (``app`` or ``agent``) sees them, in the ``breakers`` table. A failed write is
    logged and never breaks the call that changed the state."""

    def record(name: str, state: str, failures: int, opened_at: float | None) -> None:
        try:
            with store.write() as conn:
                conn.execute("INSERT INTO breakers (name, owner, state, failures, opened_at, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name, owner) DO UPDATE SET "
                             "state = excluded.state, failures = excluded.failures, "
                             "opened_at = excluded.opened_at, updated_at = excluded.updated_at",
                             (name, owner, state, failures, opened_at, time.time()))
        except StoreError as exc:
            log.error("breaker %s: state not recorded: %s", name, exc)

    return record


def breaker_states(store: Store) -> dict[str, dict[str, Any]]:
    """``{"agent": {"returns": {"state": "open", ...}}, "app": {...}}``."""
    result: dict[str, dict[str, Any]] = {}
    for row in store.rows("SELECT * FROM breakers ORDER BY owner, name"):
        result.setdefault(row["owner"], {})[row["name"]] = {
            "state": row["state"], "failures": row["failures"], "opened_at": row["opened_at"],
            "updated_at": row["updated_at"]}
    return result


def record_kiosk_state(store: Store, state: str, reason: str = "") -> None:
    """Set the kiosk-wide state (``ok``, or a cause that stops delivery of every entry, such as a
    rejected token) for the technician, ``kiosk-sync status`` and the metrics."""
    recorded = json.dumps({"state": state, "reason": reason, "since": time.time()})
    sync_state.put(store, sync_state.KIOSK_STATE, recorded)


def kiosk_state(store: Store) -> dict[str, Any]:
    """The kiosk-wide state; ``{"state": "ok", ...}`` when none was recorded."""
    recorded = sync_state.get(store, sync_state.KIOSK_STATE)
    return json.loads(recorded) if recorded else {"state": "ok", "reason": "", "since": None}


def record_success(store: Store, when: datetime | None = None) -> None:
    """Note that a central call succeeded (for "last successful sync")."""
    sync_state.put(store, sync_state.LAST_SUCCESS, (when or datetime.now(UTC)).isoformat())


def snapshot(store: Store) -> dict[str, Any]:
    """Everything ``kiosk-sync status`` prints, as a JSON-ready dict."""
    counts = Outbox(store, kiosk_id="").counts()
    return {
        "pending": counts["pending"],
        "in_flight": counts["in_flight"],
        "delivered": counts["delivered"],
        "dead": counts["dead"],
        "resolved": counts["resolved"],
        "oldest_pending_age_s": counts["oldest_pending_age_s"],
        "last_success_at": sync_state.get(store, sync_state.LAST_SUCCESS),
        "breakers": breaker_states(store),
        "counters": counters.totals(store),
        "devices": device_statuses(store),
        "kiosk_state": kiosk_state(store),
        "help_request": help_request.current(store),
        "schema_version": store.schema_version,
        "store_unwritable": unwritable(store.path),
        "mails_waiting": mail_jobs.owed(store),
    }
