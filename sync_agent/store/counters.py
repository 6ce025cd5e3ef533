"""Running totals of what the relay settled (the ``counters`` table): ``delivered``,
``dead_lettered``, ``retried``, ``declined``, ``compensations``.

This module is the table's only writer (``sync_agent.store.database.OWNERS``). The outbox adds to the
totals inside the transaction that settles the entries, so a count never disagrees with the
entries it counts, whichever process crashes; ``kiosk-sync status`` and the metrics read them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from sync_agent.store.database import Store


def add_within(conn: sqlite3.Connection, amounts: Mapping[str, int]) -> None:
    """Add each amount to its total, inside the caller's write transaction."""
    conn.executemany("INSERT INTO counters (name, value) VALUES (?, ?) "
                     "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                     list(amounts.items()))


def totals(store: Store) -> dict[str, int]:
    """Every total kept so far, by name."""
    return {row["name"]: row["value"] for row in store.rows("SELECT * FROM counters ORDER BY name")}
