"""The MyPage read model (CQRS): one row per open reservation or loan, fed by rental events."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sync_agent.wire.rest import MyPage, MyPageEntry, RentalStatus

from .db import stamp, unstamp
from .rules import overdue_days

_OPEN = (RentalStatus.RESERVED, RentalStatus.RENTED)


def on_rental_changed(conn: sqlite3.Connection, rental: dict[str, Any], _now: datetime) -> None:
    """Consumer: keep open rentals, drop finished ones."""
    if RentalStatus(rental["status"]) not in _OPEN:
        conn.execute("DELETE FROM mypage_entries WHERE rental_id = ?", (rental["id"],))
        return
    conn.execute(
        "INSERT OR REPLACE INTO mypage_entries "
        "(rental_id, member_id, book_id, barcode, title, status, hold_until, due_at, fee) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rental["id"], rental["member_id"], rental["book_id"], rental["barcode"], rental["title"],
         rental["status"], _restamp(rental["hold_until"]), _restamp(rental["due_at"]),
         rental.get("fee", 0)))


def _restamp(iso: str | None) -> str | None:
    return None if iso is None else stamp(datetime.fromisoformat(iso))


def my_page(conn: sqlite3.Connection, member: sqlite3.Row, now: datetime) -> MyPage:
    rows = conn.execute("SELECT * FROM mypage_entries WHERE member_id = ? ORDER BY rental_id",
                        (member["id"],)).fetchall()
    entries = [
        MyPageEntry(rental_id=row["rental_id"], book_id=row["book_id"], barcode=row["barcode"],
                    title=row["title"], status=row["status"], hold_until=unstamp(row["hold_until"]),
                    due_at=unstamp(row["due_at"]), fee=row["fee"],
                    overdue=row["due_at"] is not None and overdue_days(unstamp(row["due_at"]), now) > 0)
        for row in rows
    ]
    return MyPage(member_id=member["id"], name=member["name"], fines=member["fines"],
                  reservations=[e for e in entries if e.status == RentalStatus.RESERVED],
                  loans=[e for e in entries if e.status == RentalStatus.RENTED], as_of=now)
