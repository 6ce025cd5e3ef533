"""Patron PINs, checked by the rental service: the central side counts wrong PINs per card and
locks PIN entry after :data:`~backend_stub.rules.PIN_MAX_TRIES` wrong ones in a row for
:data:`~backend_stub.rules.PIN_LOCK_S`, so a kiosk (or many) cannot be used to guess a PIN.

A PIN is compared in constant time and never written anywhere but its own row; a wrong one is not
kept, only counted.
"""

from __future__ import annotations

import hmac
import sqlite3
from datetime import datetime, timedelta

from fastapi.responses import JSONResponse

from sync_agent.wire.rest import ErrorCode, PinCheck

from .db import stamp, unstamp
from .errors import refusal
from .rental_service import member_row
from .rules import PIN_LOCK_S, PIN_MAX_TRIES


def check(conn: sqlite3.Connection, card_number: str, pin: str, now: datetime) -> JSONResponse:
    """200 ``{"valid": true}``, 200 ``{"valid": false, "triesLeft": n}``, or 423 with
    ``lockedUntil`` while the card is locked (the PIN is then not even compared); 404 for an
    unknown card, 409 ``pin_not_set`` for a card without a PIN."""
    member = member_row(conn, card_number=card_number)
    row = conn.execute("SELECT * FROM member_pins WHERE member_id = ?", (member["id"],)).fetchone()
    if row is None:
        raise refusal(ErrorCode.PIN_NOT_SET, "this card has no PIN; the desk can set one")
    locked_until = unstamp(row["locked_until"])
    if locked_until is not None and locked_until > now:
        return _locked(locked_until)
    if hmac.compare_digest(row["pin"].encode(), pin.encode()):
        conn.execute("UPDATE member_pins SET wrong = 0, locked_until = NULL WHERE member_id = ?",
                     (member["id"],))
        return _answer(PinCheck(valid=True))
    wrong = row["wrong"] + 1
    if wrong >= PIN_MAX_TRIES:
        until = now + timedelta(seconds=PIN_LOCK_S)
        conn.execute("UPDATE member_pins SET wrong = 0, locked_until = ? WHERE member_id = ?",
                     (stamp(until), member["id"]))
        return _locked(until)
    conn.execute("UPDATE member_pins SET wrong = ?, locked_until = NULL WHERE member_id = ?",
                 (wrong, member["id"]))
    return _answer(PinCheck(valid=False, tries_left=PIN_MAX_TRIES - wrong))


def _locked(until: datetime) -> JSONResponse:
    return _answer(PinCheck(valid=False, tries_left=0, locked_until=until), 423)


def _answer(check: PinCheck, status: int = 200) -> JSONResponse:
    return JSONResponse(check.model_dump(mode="json", by_alias=True, exclude_none=True), status)

