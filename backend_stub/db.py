"""The stand-in's SQLite database: schema, timestamps, and one transaction per request.

The server runs its handlers on one event loop and never awaits inside a transaction, so a
single connection serves every request in turn; ``BEGIN IMMEDIATE`` makes each request's
writes all-or-nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import overload

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY,
    card_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    status TEXT NOT NULL,
    loan_limit INTEGER NOT NULL,
    fines INTEGER NOT NULL DEFAULT 0,
    payment_declined INTEGER NOT NULL DEFAULT 0,
    email TEXT
);
CREATE TABLE IF NOT EXISTS member_pins (
    member_id INTEGER PRIMARY KEY REFERENCES members(id),
    pin TEXT NOT NULL,
    wrong INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS books (
    id INTEGER PRIMARY KEY,
    barcode TEXT NOT NULL UNIQUE,
    isbn TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rentals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id INTEGER NOT NULL REFERENCES members(id),
    book_id INTEGER NOT NULL REFERENCES books(id),
    status TEXT NOT NULL,
    reserved_at TEXT, hold_until TEXT, rented_at TEXT, due_at TEXT, returned_at TEXT,
    fine INTEGER NOT NULL DEFAULT 0,
    payment_id INTEGER,
    kiosk_no TEXT,
    renewals INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS rentals_by_book ON rentals(book_id, status);
CREATE INDEX IF NOT EXISTS rentals_by_member ON rentals(member_id, status);
CREATE INDEX IF NOT EXISTS rentals_by_hold ON rentals(status, hold_until);
CREATE TABLE IF NOT EXISTS hold_queue (
    book_id INTEGER NOT NULL REFERENCES books(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    placed_at TEXT NOT NULL,
    PRIMARY KEY (book_id, member_id)
);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    status TEXT NOT NULL,
    paid_at TEXT NOT NULL,
    refunded_at TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consumer_offsets (
    consumer TEXT PRIMARY KEY,
    last_event_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mypage_entries (
    rental_id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL,
    book_id INTEGER NOT NULL,
    barcode TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    hold_until TEXT,
    due_at TEXT,
    fee INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS mypage_by_member ON mypage_entries(member_id);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    applied INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
"""

_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime) -> str:
    """A UTC timestamp in one fixed width, so that text order is time order."""
    return moment.astimezone(UTC).strftime(_STAMP)


@overload
def unstamp(text: str) -> datetime: ...
@overload
def unstamp(text: str | None) -> datetime | None: ...
def unstamp(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, _STAMP).replace(tzinfo=UTC)


ADDED_COLUMNS = (("members", "name_en", "TEXT"),)
"""Columns added to the schema since it was first written: (table, column, type)."""


class Database:
    """One SQLite file (WAL) and the transaction helper every request goes through."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)
        self._add_missing_columns()
        self._lock = threading.RLock()

    def _add_missing_columns(self) -> None:
        """A database made before a column was added to the schema gets it (empty)."""
        for table, column, kind in ADDED_COLUMNS:
            present = {row["name"] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def is_empty(self) -> bool:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
