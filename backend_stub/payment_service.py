"""Payment: the reservation fee, taken synchronously; refunds, taken from rental events.

Reserving calls ``pay`` inside the rental's transaction (the seed's FeignClient call), so a
declined or unreachable payment leaves no reservation behind. Refunds are the compensation of a
cancelled or expired reservation and arrive through the event queue (``on_rental_changed``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sync_agent.wire.rest import ErrorCode, Payment, PaymentStatus, RentalStatus, ReservationQuote

from .db import stamp, unstamp
from .errors import not_found, refusal
from .rules import RESERVATION_FEE

SERVICE = "payment"

_REFUNDED_WHEN = {RentalStatus.CANCELLED, RentalStatus.EXPIRED}


def to_payment(row: sqlite3.Row) -> Payment:
    return Payment(id=row["id"], rental_id=row["rental_id"], member_id=row["member_id"],
                   amount=row["amount"], status=row["status"], paid_at=unstamp(row["paid_at"]),
                   refunded_at=unstamp(row["refunded_at"]))


def pay(conn: sqlite3.Connection, member: sqlite3.Row, rental_id: int, now: datetime) -> int:
    """Charge the reservation fee; a member whose card is declined gets ``payment_declined``."""
    if member["payment_declined"]:
        raise refusal(ErrorCode.PAYMENT_DECLINED, "the payment for this reservation was declined",
                      SERVICE)
    cursor = conn.execute(
        "INSERT INTO payments (rental_id, member_id, amount, status, paid_at) VALUES (?, ?, ?, ?, ?)",
        (rental_id, member["id"], RESERVATION_FEE, PaymentStatus.PAID, stamp(now)))
    assert cursor.lastrowid is not None  # set by the INSERT
    return cursor.lastrowid


def quote(conn: sqlite3.Connection, member_id: int, book_id: int) -> ReservationQuote:
    """``GET /payments/quote``: what reserving this copy would cost this member."""
    for table, key in (("members", member_id), ("books", book_id)):
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (key,)).fetchone() is None:
            raise not_found(f"{table[:-1]} {key}", SERVICE)
    return ReservationQuote(member_id=member_id, book_id=book_id, fee=RESERVATION_FEE)


def payments(conn: sqlite3.Connection, member_id: int | None) -> list[Payment]:
    rows = conn.execute("SELECT * FROM payments WHERE ? IS NULL OR member_id = ? ORDER BY id",
                        (member_id, member_id)).fetchall()
    return [to_payment(row) for row in rows]


def on_rental_changed(conn: sqlite3.Connection, rental: dict[str, Any], now: datetime) -> None:
    """Consumer: refund the fee of a reservation that was cancelled or expired."""
    if rental["payment_id"] is not None and RentalStatus(rental["status"]) in _REFUNDED_WHEN:
        conn.execute("UPDATE payments SET status = ?, refunded_at = ? WHERE id = ? AND status = ?",
                     (PaymentStatus.REFUNDED, stamp(now), rental["payment_id"], PaymentStatus.PAID))
