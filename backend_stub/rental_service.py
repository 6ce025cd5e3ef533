"""The rental service: members, reservations, loans and returns, and the rules that guard them.

Every function runs inside the caller's transaction and either completes its change (publishing a
``rental_changed`` event) or raises an ``ApiError`` that rolls the whole request back.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from sync_agent.wire.rest import (
    BookStatus,
    Circulation,
    ErrorCode,
    ItemState,
    KioskRenew,
    KioskRent,
    KioskReturn,
    Member,
    MemberStatus,
    Rental,
    RentalPatch,
    RentalStatus,
    ReqState,
    ReserveRequest,
)

from . import book_service, payment_service
from .db import stamp, unstamp
from .errors import found, invalid, refusal
from .events import publish_rental
from .rules import (
    RENEW_OVERDUE,
    RENEWAL_LIMIT,
    due_at,
    fine_for,
    hold_until,
    is_blocked_by_fines,
    renewed_due,
    restored_hold_until,
)

SERVICE = "rental"
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a kiosk's ``occurredAt`` may be before it is refused as wrong."""

_SELECT = ("SELECT r.*, b.barcode, b.title, coalesce(p.amount, 0) AS fee FROM rentals r "
           "JOIN books b ON b.id = r.book_id LEFT JOIN payments p ON p.id = r.payment_id")
_ACTIVE = (RentalStatus.RESERVED, RentalStatus.RENTED)


# --- members -----------------------------------------------------------------------------------

def to_member(conn: sqlite3.Connection, row: sqlite3.Row) -> Member:
    return Member(id=row["id"], card_number=row["card_number"], name=row["name"],
                  name_en=row["name_en"], status=row["status"], loan_limit=row["loan_limit"], fines=row["fines"],
                  active_loans=_count(conn, row["id"], RentalStatus.RENTED), email=row["email"])


def member_row(conn: sqlite3.Connection, *, member_id: int | None = None,
               card_number: str | None = None) -> sqlite3.Row:
    if card_number is not None:
        row = conn.execute("SELECT * FROM members WHERE card_number = ?", (card_number,)).fetchone()
        return found(row, f"card {card_number}", SERVICE)
    row = conn.execute("SELECT * FROM members WHERE id = ?", (member_id,)).fetchone()
    return found(row, f"member {member_id}", SERVICE)


def get_member(conn: sqlite3.Connection, card_number: str) -> Member:
    return to_member(conn, member_row(conn, card_number=card_number))


def _require_active(member: sqlite3.Row) -> None:
    if member["status"] == MemberStatus.WITHDRAWN:
        raise refusal(ErrorCode.MEMBER_WITHDRAWN, "this card has been withdrawn")
    if member["status"] == MemberStatus.BLOCKED:
        raise refusal(ErrorCode.MEMBER_BLOCKED,
                      f"this card is blocked (unpaid fines: {member['fines']} KRW)")


def _count(conn: sqlite3.Connection, member_id: int, status: RentalStatus) -> int:
    return conn.execute("SELECT COUNT(*) FROM rentals WHERE member_id = ? AND status = ?",
                        (member_id, status)).fetchone()[0]


# --- rentals -----------------------------------------------------------------------------------

def to_rental(row: sqlite3.Row) -> Rental:
    return Rental(id=row["id"], member_id=row["member_id"], book_id=row["book_id"],
                  barcode=row["barcode"], status=row["status"],
                  reserved_at=unstamp(row["reserved_at"]), hold_until=unstamp(row["hold_until"]),
                  rented_at=unstamp(row["rented_at"]), due_at=unstamp(row["due_at"]),
                  returned_at=unstamp(row["returned_at"]), fine=row["fine"],
                  payment_id=row["payment_id"], fee=row["fee"], kiosk_no=row["kiosk_no"],
                  renewals=row["renewals"])


def _rental_row(conn: sqlite3.Connection, rental_id: int) -> sqlite3.Row:
    return found(conn.execute(f"{_SELECT} WHERE r.id = ?", (rental_id,)).fetchone(),
                 f"rental {rental_id}", SERVICE)


def _active_rental(conn: sqlite3.Connection, book_id: int) -> sqlite3.Row | None:
    return conn.execute(f"{_SELECT} WHERE r.book_id = ? AND r.status IN (?, ?)",
                        (book_id, *_ACTIVE)).fetchone()


def _update(conn: sqlite3.Connection, rental_id: int, now: datetime, **fields: object) -> Rental:
    """Write the fields, publish the new state, return it."""
    assignments = ", ".join(f"{name} = ?" for name in fields)
    values = [stamp(v) if isinstance(v, datetime) else v for v in fields.values()]
    conn.execute(f"UPDATE rentals SET {assignments} WHERE id = ?", (*values, rental_id))
    return announce(conn, rental_id, now)


def announce(conn: sqlite3.Connection, rental_id: int, now: datetime) -> Rental:
    """Publish the rental's current state to the other services; return it."""
    row = _rental_row(conn, rental_id)
    rental = to_rental(row)
    publish_rental(conn, rental, row["title"], now)
    return rental


def rentals(conn: sqlite3.Connection, member_id: int | None, book_id: int | None,
            status: RentalStatus | None) -> list[Rental]:
    rows = conn.execute(
        f"{_SELECT} WHERE (:m IS NULL OR r.member_id = :m) AND (:b IS NULL OR r.book_id = :b) "
        "AND (:s IS NULL OR r.status = :s) ORDER BY r.id",
        {"m": member_id, "b": book_id, "s": status}).fetchall()
    return [to_rental(row) for row in rows]


def item_state(conn: sqlite3.Connection, barcode: str) -> ItemState:
    """``GET /kiosk/items/{barcode}``: whether the copy is on loan, on hold or on the shelf, from
    the rentals themselves (the book status follows them only through events)."""
    book = book_service.book_row(conn, barcode=barcode)
    active = _active_rental(conn, book["id"])
    if active is not None and active["status"] == RentalStatus.RENTED:
        return ItemState(barcode=barcode, title=book["title"], circulation=Circulation.ON_LOAN,
                         due_at=unstamp(active["due_at"]))
    if active is not None:
        circulation = Circulation.ON_HOLD
    elif book["status"] == BookStatus.WITHDRAWN:
        circulation = Circulation.WITHDRAWN
    else:
        circulation = Circulation.ON_SHELF
    return ItemState(barcode=barcode, title=book["title"], circulation=circulation)


def reserve(conn: sqlite3.Connection, request: ReserveRequest, now: datetime) -> Rental:
    """``POST /rentals``: hold a copy for the member and take the fee, or refuse. The hold runs
    from ``occurredAt`` (when the patron asked) and records the kiosk that asked."""
    member_id, book_id = request.member_id, request.book_id
    member = member_row(conn, member_id=member_id)
    _require_active(member)
    book = book_service.book_row(conn, book_id=book_id)
    if book["status"] == BookStatus.WITHDRAWN:
        raise refusal(ErrorCode.BOOK_WITHDRAWN, "this copy has been withdrawn")
    active = _active_rental(conn, book_id)
    if active is not None and active["status"] == RentalStatus.RENTED:
        raise refusal(ErrorCode.BOOK_UNAVAILABLE, "this copy is on loan")
    if active is not None and active["member_id"] != member_id:
        raise refusal(ErrorCode.RESERVED_FOR_OTHER, "this copy is reserved for another member")
    if active is not None:
        raise refusal(ErrorCode.INVALID_STATE, "this copy is already reserved for you")
    held = _count(conn, member_id, RentalStatus.RENTED) + _count(conn, member_id, RentalStatus.RESERVED)
    if held >= member["loan_limit"]:
        raise refusal(ErrorCode.LIMIT_REACHED,
                      f"loans and reservations are limited to {member['loan_limit']}")
    at = _occurred(request.occurred_at, now)
    cursor = conn.execute(
        "INSERT INTO rentals (member_id, book_id, status, reserved_at, hold_until, kiosk_no) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (member_id, book_id, RentalStatus.RESERVED, stamp(at), stamp(hold_until(at)), request.kiosk_no))
    rental_id = cursor.lastrowid
    assert rental_id is not None  # set by the INSERT
    payment_id = payment_service.pay(conn, member, rental_id, now)
    return _update(conn, rental_id, now, payment_id=payment_id)


def patch(conn: sqlite3.Connection, rental_id: int, change: RentalPatch, now: datetime) -> Rental:
    """``PATCH /rentals/{id}``: the seed's ``reqState`` transitions."""
    row = _rental_row(conn, rental_id)
    at = _occurred(change.occurred_at, now)
    match change.req_state:
        case ReqState.CANCEL:
            if row["status"] != RentalStatus.RESERVED:
                raise refusal(ErrorCode.NOT_RESERVED, "only a reservation can be cancelled")
            return _update(conn, rental_id, now, status=RentalStatus.CANCELLED)
        case ReqState.RENTAL | ReqState.KIOSK_RENTAL:
            return _rent(conn, row, at, change.kiosk_no, now,
                         check_shelf=change.req_state == ReqState.KIOSK_RENTAL)
        case ReqState.RETURN | ReqState.KIOSK_RETURN:
            if row["status"] != RentalStatus.RENTED:
                raise refusal(ErrorCode.NOT_RENTED, "this rental is not on loan")
            return _return(conn, row, at, change.kiosk_no, now)
        case ReqState.KIOSK_UNRENT:
            return _unrent(conn, row, now)


def _unrent(conn: sqlite3.Connection, row: sqlite3.Row, now: datetime) -> Rental:
    """Undo a kiosk loan: back to the reservation it was made from, held for the same member
    (at least a day more) with the same payment, as if the loan had never been made. Only a loan
    made at a kiosk and never renewed: a loan the patron knowingly kept is not undone this way."""
    if row["status"] != RentalStatus.RENTED:
        raise refusal(ErrorCode.NOT_RENTED, "this rental is not on loan")
    if row["kiosk_no"] is None or row["renewals"]:
        raise refusal(ErrorCode.INVALID_STATE, "only an unrenewed kiosk loan can be put back on hold")
    return _update(conn, row["id"], now, status=RentalStatus.RESERVED, rented_at=None, due_at=None,
                   kiosk_no=None, hold_until=restored_hold_until(unstamp(row["hold_until"]), now))


def kiosk_return(conn: sqlite3.Connection, request: KioskReturn, now: datetime) -> Rental:
    """``POST /kiosk/returns``: close the copy's loan; the fine counts from ``occurredAt``."""
    book = book_service.book_row(conn, barcode=request.barcode)
    active = _active_rental(conn, book["id"])
    if active is None or active["status"] != RentalStatus.RENTED:
        raise refusal(ErrorCode.NOT_RENTED, "this copy is not on loan")
    return _return(conn, active, _occurred(request.occurred_at, now), request.kiosk_no, now)


def kiosk_rent(conn: sqlite3.Connection, request: KioskRent, now: datetime) -> Rental:
    """``POST /kiosk/rentals``: lend a copy reserved for this member, checked with book management."""
    member = member_row(conn, member_id=request.member_id)
    _require_active(member)
    book = book_service.book_row(conn, barcode=request.barcode)
    active = _active_rental(conn, book["id"])
    if active is None:
        if book["status"] == BookStatus.WITHDRAWN:
            raise refusal(ErrorCode.BOOK_WITHDRAWN, "this copy has been withdrawn")
        raise refusal(ErrorCode.NOT_RESERVED, "this copy is not reserved; reserve it first")
    if active["status"] == RentalStatus.RENTED:
        raise refusal(ErrorCode.RETURN_PENDING,
                      "this copy is still on loan: its return has not been processed yet")
    if active["member_id"] != request.member_id:
        raise refusal(ErrorCode.RESERVED_FOR_OTHER, "this copy is reserved for another member")
    return _rent(conn, active, _occurred(request.occurred_at, now), request.kiosk_no, now,
                 check_shelf=True)


def kiosk_renew(conn: sqlite3.Connection, request: KioskRenew, now: datetime) -> Rental:
    """``POST /kiosk/renewals``: a new due date for the member's loan of the copy, or the reason
    why not, checked in the order a patron can act on: blocked card, another member's hold, the
    renewal limit, an overdue loan (where ``RENEW_OVERDUE`` forbids it)."""
    member = member_row(conn, member_id=request.member_id)
    _require_active(member)
    book = book_service.book_row(conn, barcode=request.barcode)
    loan = _active_rental(conn, book["id"])
    if loan is None or loan["status"] != RentalStatus.RENTED or loan["member_id"] != member["id"]:
        raise refusal(ErrorCode.NOT_RENTED, "this copy is not on loan to this member")
    if conn.execute("SELECT 1 FROM hold_queue WHERE book_id = ? AND member_id != ?",
                    (book["id"], member["id"])).fetchone():
        raise refusal(ErrorCode.RESERVED_FOR_OTHER, "another member is waiting for this copy")
    if loan["renewals"] >= RENEWAL_LIMIT:
        raise refusal(ErrorCode.RENEWAL_LIMIT, f"a loan can be renewed {RENEWAL_LIMIT} times")
    due = unstamp(loan["due_at"])
    assert due is not None  # every loan has a due date
    if due < now and not RENEW_OVERDUE:
        raise refusal(ErrorCode.OVERDUE, "an overdue loan cannot be renewed")
    return _update(conn, loan["id"], now, due_at=renewed_due(due, now), renewals=loan["renewals"] + 1)


def place_hold(conn: sqlite3.Connection, member_id: int, barcode: str, now: datetime) -> None:
    """A hold placed at the desk on a copy that is on loan: its borrower can no longer renew it.
    (The stand-in keeps the queue only for that rule.)"""
    member = member_row(conn, member_id=member_id)
    book = book_service.book_row(conn, barcode=barcode)
    conn.execute("INSERT OR IGNORE INTO hold_queue (book_id, member_id, placed_at) VALUES (?, ?, ?)",
                 (book["id"], member["id"], stamp(now)))


def _rent(conn: sqlite3.Connection, row: sqlite3.Row, at: datetime, kiosk_no: str | None,
          now: datetime, *, check_shelf: bool) -> Rental:
    if row["status"] != RentalStatus.RESERVED:
        raise refusal(ErrorCode.NOT_RESERVED, "only a reservation can be turned into a loan")
    member = member_row(conn, member_id=row["member_id"])
    _require_active(member)
    if _count(conn, member["id"], RentalStatus.RENTED) >= member["loan_limit"]:
        raise refusal(ErrorCode.LIMIT_REACHED, f"loans are limited to {member['loan_limit']}")
    if check_shelf:
        book_service.check_rentable(conn, row["book_id"])
    return _update(conn, row["id"], now, status=RentalStatus.RENTED, rented_at=at,
                   due_at=due_at(at), kiosk_no=kiosk_no)


def _return(conn: sqlite3.Connection, row: sqlite3.Row, at: datetime, kiosk_no: str | None,
            now: datetime) -> Rental:
    rented_at = unstamp(row["rented_at"])
    if rented_at is not None and at < rented_at:
        raise invalid("occurredAt is before the loan started")
    fine = fine_for(unstamp(row["due_at"]), at)
    if fine:
        member = member_row(conn, member_id=row["member_id"])
        fines = member["fines"] + fine
        status = (MemberStatus.BLOCKED if member["status"] == MemberStatus.ACTIVE
                  and is_blocked_by_fines(fines) else member["status"])
        conn.execute("UPDATE members SET fines = ?, status = ? WHERE id = ?",
                     (fines, status, member["id"]))
    return _update(conn, row["id"], now, status=RentalStatus.RETURNED, returned_at=at, fine=fine,
                   kiosk_no=kiosk_no or row["kiosk_no"])


def _occurred(occurred_at: datetime | None, now: datetime) -> datetime:
    if occurred_at is None:
        return now
    if occurred_at > now + CLOCK_SKEW:
        raise invalid("occurredAt is in the future")
    return occurred_at


# --- housekeeping ------------------------------------------------------------------------------

def expire_holds(conn: sqlite3.Connection, now: datetime) -> int:
    """Reservations past their hold deadline expire (and are refunded through the queue)."""
    due = conn.execute("SELECT id FROM rentals WHERE status = ? AND hold_until < ?",
                       (RentalStatus.RESERVED, stamp(now))).fetchall()
    for row in due:
        _update(conn, row["id"], now, status=RentalStatus.EXPIRED)
    return len(due)


def withdraw_copy(conn: sqlite3.Connection, barcode: str, now: datetime) -> None:
    """A copy withdrawn by book management: its open reservations are cancelled (and refunded)."""
    book = book_service.book_row(conn, barcode=barcode)
    book_service.set_status(conn, book["id"], BookStatus.WITHDRAWN, now)
    for row in conn.execute("SELECT id FROM rentals WHERE book_id = ? AND status = ?",
                            (book["id"], RentalStatus.RESERVED)).fetchall():
        _update(conn, row["id"], now, status=RentalStatus.CANCELLED)
