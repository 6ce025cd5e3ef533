"""The kiosk's named values (the ``sync_state`` table): one row per name, a text value each.

This module is the table's only writer (``sync_agent.store.database.OWNERS``); the modules that keep a
value here call :func:`put` (its own transaction) or :func:`put_within` (inside theirs, so the
value changes in the same commit as what it describes). The names in use:

- ``store_epoch``: a random id of this file, written once when the schema is created.
- :data:`CATALOG_SINCE`: the read model's catalog watermark (the server time of the last delta).
- :data:`LAST_SUCCESS`: when the central side last accepted something from this kiosk.
- :data:`KIOSK_STATE`: the kiosk-wide state, JSON ``{"state", "reason", "since"}``; absent is ok.
- :data:`HELP_REQUEST`: a patron's call for staff (:mod:`sync_agent.store.help_request`), JSON.
"""

from __future__ import annotations

import sqlite3

from sync_agent.store.database import Store

CATALOG_SINCE = "catalog_since"
LAST_SUCCESS = "last_success_at"
KIOSK_STATE = "kiosk_state"
HELP_REQUEST = "help_request"


def get(store: Store, name: str) -> str | None:
    """The value kept under ``name``, None if there is none."""
    rows = store.rows("SELECT value FROM sync_state WHERE name = ?", (name,))
    return rows[0]["value"] if rows else None


def put(store: Store, name: str, value: str) -> None:
    """Keep ``value`` under ``name`` (replacing the last one) in one durable transaction."""
    with store.write() as conn:
        put_within(conn, name, value)


def put_within(conn: sqlite3.Connection, name: str, value: str) -> None:
    """Keep ``value`` under ``name`` inside the caller's write transaction."""
    conn.execute("INSERT INTO sync_state (name, value) VALUES (?, ?) "
                 "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))
