"""Book management: the catalog of copies and their status.

The status of a copy follows the rental service's events (``on_rental_changed``); it is never
written by the rental service directly, so it lags while this service is down and catches up
when it returns.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sync_agent.wire.rest import Book, BookPage, BookStatus, ErrorCode, RentalStatus

from .db import stamp, unstamp
from .errors import found, refusal

SERVICE = "book"

_STATUS_AFTER = {
    RentalStatus.RESERVED: BookStatus.RESERVED,
    RentalStatus.RENTED: BookStatus.RENTED,
    RentalStatus.RETURNED: BookStatus.AVAILABLE,
    RentalStatus.CANCELLED: BookStatus.AVAILABLE,
    RentalStatus.EXPIRED: BookStatus.AVAILABLE,
}


def to_book(row: sqlite3.Row) -> Book:
    return Book(id=row["id"], barcode=row["barcode"], isbn=row["isbn"], title=row["title"],
                author=row["author"], status=row["status"], updated_at=unstamp(row["updated_at"]))


def book_row(conn: sqlite3.Connection, *, barcode: str | None = None,
             book_id: int | None = None) -> sqlite3.Row:
    """The copy by barcode or id, or a 404."""
    if barcode is not None:
        row = conn.execute("SELECT * FROM books WHERE barcode = ?", (barcode,)).fetchone()
        return found(row, f"item {barcode}", SERVICE)
    row = conn.execute("SELECT * FROM books WHERE id = ?", (book_id,)).fetchone()
    return found(row, f"book {book_id}", SERVICE)


def get_book(conn: sqlite3.Connection, barcode: str) -> Book:
    return to_book(book_row(conn, barcode=barcode))


def books_since(conn: sqlite3.Connection, since: datetime | None, now: datetime) -> BookPage:
    """Copies changed at or after ``since`` (all when None); ask again from ``serverTime``."""
    rows = conn.execute("SELECT * FROM books WHERE updated_at >= ? ORDER BY updated_at, id",
                        (stamp(since) if since else "",)).fetchall()
    return BookPage(books=[to_book(row) for row in rows], server_time=now)


def check_rentable(conn: sqlite3.Connection, book_id: int) -> None:
    """The synchronous check of a self-rent: the shelf record must show the copy reserved.

    A copy still shown as rented has a return the book service has not processed yet
    (the seed: a book whose return is not complete cannot be rented).
    """
    status = book_row(conn, book_id=book_id)["status"]
    if status == BookStatus.WITHDRAWN:
        raise refusal(ErrorCode.BOOK_WITHDRAWN, "this copy has been withdrawn", SERVICE)
    if status == BookStatus.RENTED:
        raise refusal(ErrorCode.RETURN_PENDING,
                      "this copy's previous return is still being processed", SERVICE)


def set_status(conn: sqlite3.Connection, book_id: int, status: BookStatus, now: datetime) -> None:
    conn.execute("UPDATE books SET status = ?, updated_at = ? WHERE id = ?",
                 (status, stamp(now), book_id))


def on_rental_changed(conn: sqlite3.Connection, rental: dict[str, Any], now: datetime) -> None:
    """Consumer: the copy's status follows its rental; a withdrawn copy stays withdrawn."""
    current = book_row(conn, book_id=rental["book_id"])
    if current["status"] != BookStatus.WITHDRAWN:
        set_status(conn, current["id"], _STATUS_AFTER[RentalStatus(rental["status"])], now)
