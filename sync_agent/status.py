"""Status tables the technician screen and ``kiosk-sync status`` read.

Both processes write here (devices from the app, breakers from whichever process holds them,
counters and the last successful sync from the relay); each write is one short transaction, so
neither process blocks the other for long. :func:`snapshot` is the single picture both readers show.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sync_agent.outbox import LAST_SUCCESS, Outbox
from sync_agent.read_model import get_state, set_state
from sync_agent.store import Store


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


def record_breaker(store: Store, name: str, owner: str, state: str, failures: int,
                   opened_at: float | None) -> None:
    """Keep a breaker's state as its owning process (``app`` or ``agent``) sees it."""
    with store.write() as conn:
        conn.execute("INSERT INTO breakers (name, owner, state, failures, opened_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name, owner) DO UPDATE SET "
                     "state = excluded.state, failures = excluded.failures, "
                     "opened_at = excluded.opened_at, updated_at = excluded.updated_at",
                     (name, owner, state, failures, opened_at, time.time()))


def breaker_states(store: Store) -> dict[str, dict[str, Any]]:
    """``{"agent": {"returns": {"state": "open", ...}}, "app": {...}}``."""
    result: dict[str, dict[str, Any]] = {}
    for row in store.rows("SELECT * FROM breakers ORDER BY owner, name"):
        result.setdefault(row["owner"], {})[row["name"]] = {
            "state": row["state"], "failures": row["failures"], "opened_at": row["opened_at"],
            "updated_at": row["updated_at"]}
    return result


def counters(store: Store) -> dict[str, int]:
    return {row["name"]: row["value"] for row in store.rows("SELECT * FROM counters ORDER BY name")}


KIOSK_STATE = "kiosk_state"
"""``sync_state`` row of the kiosk-wide state: JSON ``{"state", "reason", "since"}``; absent is ok."""


def record_kiosk_state(store: Store, state: str, reason: str = "") -> None:
    """Set the kiosk-wide state (``ok``, or a cause that stops delivery of every entry, such as a
    rejected token) for the technician, ``kiosk-sync status`` and the metrics."""
    set_state(store, KIOSK_STATE, json.dumps({"state": state, "reason": reason, "since": time.time()}))


def kiosk_state(store: Store) -> dict[str, Any]:
    """The kiosk-wide state; ``{"state": "ok", ...}`` when none was recorded."""
    recorded = get_state(store, KIOSK_STATE)
    return json.loads(recorded) if recorded else {"state": "ok", "reason": "", "since": None}


def record_success(store: Store, when: datetime | None = None) -> None:
    """Note that a central call succeeded (for "last successful sync")."""
    set_state(store, LAST_SUCCESS, (when or datetime.now(UTC)).isoformat())


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
        "last_success_at": get_state(store, LAST_SUCCESS),
        "breakers": breaker_states(store),
        "counters": counters(store),
        "devices": device_statuses(store),
        "kiosk_state": kiosk_state(store),
        "schema_version": store.schema_version,
    }
