"""Loads the demo library (``data/*.json``) into a fresh database.

Rentals in the files say "reserved 1 day ago" or "rented 19 days ago", so every start shows the
same picture relative to the stand-in's clock: a hold ready for pickup, a loan due in a week, a
loan five days overdue.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import kiosk_data
from sync_agent.wire.rest import PaymentStatus, RentalStatus

from .db import stamp
from .rental_service import announce
from .rules import RESERVATION_FEE

DATA_DIR = kiosk_data.DATA_DIR


def _read(data_dir: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((data_dir / f"{name}.json").read_text(encoding="utf-8"))


def load(conn: sqlite3.Connection, data_dir: Path, now: datetime) -> None:
    """Insert members, copies, rentals and their payments, and announce the rentals."""
    for m in _read(data_dir, "members"):
        conn.execute(
            "INSERT INTO members (id, card_number, name, name_en, status, loan_limit, fines, "
            "payment_declined, email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (m["id"], m["cardNumber"], m["name"], m.get("nameEn"), m["status"], m["loanLimit"],
             m["fines"], int(m.get("paymentDeclined", False)), m.get("email")))
        if m.get("pin"):
            conn.execute("INSERT INTO member_pins (member_id, pin) VALUES (?, ?)", (m["id"], m["pin"]))
    for item in _read(data_dir, "items"):
        conn.execute(
            "INSERT INTO books (id, barcode, isbn, title, author, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item["id"], item["barcode"], item["isbn"], item["title"], item["author"],
             item["status"], stamp(now)))
    for r in _read(data_dir, "rentals"):
        if r["status"] == RentalStatus.RESERVED:
            reserved = now - timedelta(days=r["reservedDaysAgo"])
            pay = conn.execute(
                "INSERT INTO payments (rental_id, member_id, amount, status, paid_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (r["id"], r["memberId"], RESERVATION_FEE, PaymentStatus.PAID, stamp(reserved)))
            conn.execute(
                "INSERT INTO rentals (id, member_id, book_id, status, reserved_at, hold_until, "
                "payment_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (r["id"], r["memberId"], r["bookId"], r["status"], stamp(reserved),
                 stamp(reserved + timedelta(days=r["holdDays"])), pay.lastrowid))
        else:
            rented = now - timedelta(days=r["rentedDaysAgo"])
            conn.execute(
                "INSERT INTO rentals (id, member_id, book_id, status, rented_at, due_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (r["id"], r["memberId"], r["bookId"], r["status"], stamp(rented),
                 stamp(rented + timedelta(days=r["loanDays"]))))
        announce(conn, r["id"], now)
