"""Damaged store files for tests: the kinds of damage opening must refuse."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox


def fill(path: Path, count: int = 300) -> Store:
    store = Store.open(path)
    outbox = Outbox(store, "k")
    for index in range(count):
        outbox.append_return(f"3004200000{index:04d}", datetime.now(UTC))
    return store


def make_status_index_stale(path: Path, ids: tuple[int, int]) -> None:
    """Corrupt the outbox's ``(status, id)`` index the way a torn page or a bad sector can leave
    it: well formed, but no longer matching its rows. Entries ``ids`` are marked delivered in the
    index (SQLite is told for a moment that the index covers another column, so it does not
    follow the update), then the table says pending."""
    conn = sqlite3.connect(path, isolation_level=None)
    name, sql = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                             "AND tbl_name = 'outbox' AND sql LIKE '%status%'").fetchone()
    conn.execute("UPDATE outbox SET status = 'delivered' WHERE id BETWEEN ? AND ?", ids)
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (sql.replace('"status"', '"note"'), name))
    conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE outbox SET status = 'pending' WHERE id BETWEEN ? AND ?", ids)  # index untouched
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (sql, name))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
