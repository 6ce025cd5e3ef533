"""One patron's visit: who is signed in, what was returned, borrowed and cancelled; and what a scan
means at each moment of it.

Plain data with no I/O, so the whole visit can be dropped in one assignment when it ends (nothing of
the last patron survives on screen or in memory), and the routing rules are testable on their own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from stdnum import luhn

from hardware.codes import CodeKind
from sync_agent.contract import Member, MyPage, MyPageEntry

TECHNICIAN_SEQUENCE = "99999999"
"""The last member-card sequence of the institution is reserved for the technician card."""


def technician_card(institution: str) -> str:
    """The technician card of ``institution``: a valid member-card code no patron is issued
    (``20042999999996`` for institution ``0042``)."""
    body = "2" + institution + TECHNICIAN_SEQUENCE
    return body + luhn.calc_check_digit(body)


def new_session_id(now: datetime) -> str:
    """14 digits (time plus two random), even-length for a compact Code 128 on the receipt."""
    return f"{now:%y%m%d%H%M%S}{secrets.randbelow(100):02d}"


@dataclass(frozen=True, slots=True)
class ReturnLine:
    barcode: str
    title: str | None
    days_late: int
    fine: int
    saved_offline: bool


@dataclass(frozen=True, slots=True)
class BorrowLine:
    barcode: str
    title: str | None
    due_at: datetime
    queued: bool
    """True when borrowed offline: saved to the outbox, confirmed later."""


@dataclass(frozen=True, slots=True)
class CancelLine:
    barcode: str
    title: str


@dataclass
class Patron:
    """The signed-in member and their page, from the central view or (``cached``) the local one."""

    member: Member
    page: MyPage
    cached: bool
    pending: frozenset[str] | set[str] = frozenset()
    """Barcodes with local entries not yet synced (shown as "pending" on a cached view)."""

    def reservation(self, barcode: str) -> MyPageEntry | None:
        return next((entry for entry in self.page.reservations if entry.barcode == barcode), None)

    def loan(self, barcode: str) -> MyPageEntry | None:
        return next((entry for entry in self.page.loans if entry.barcode == barcode), None)


class Mode(Enum):
    IDLE = "idle"
    RETURNING = "returning"
    MEMBER = "member"


class Action(Enum):
    """What the app does with a scan."""

    RETURN = "return"
    OPEN_MEMBER = "open_member"
    SAME_MEMBER = "same_member"
    SAME_ITEM = "same_item"
    BORROW = "borrow"
    ISBN_HELP = "isbn_help"
    INVALID = "invalid"
    CARD_MID_RETURN = "card_mid_return"
    SECOND_CARD = "second_card"
    TECHNICIAN = "technician"


@dataclass
class Session:
    id: str
    started_at: datetime
    patron: Patron | None = None
    card: str | None = None
    returns: list[ReturnLine] = field(default_factory=list)
    borrows: list[BorrowLine] = field(default_factory=list)
    cancels: list[CancelLine] = field(default_factory=list)

    @property
    def mode(self) -> Mode:
        if self.card is not None:
            return Mode.MEMBER
        return Mode.RETURNING if self.returns else Mode.IDLE

    @property
    def is_empty(self) -> bool:
        return self.card is None and not (self.returns or self.borrows or self.cancels)

    @property
    def queued_borrows(self) -> int:
        return sum(1 for line in self.borrows if line.queued)

    @property
    def total_fine(self) -> int:
        return sum(line.fine for line in self.returns)

    def route(self, kind: CodeKind, code: str, institution: str) -> Action:
        """Decide what a scan of ``kind`` means now; nothing is written for the refusing ones."""
        if kind is CodeKind.ISBN:
            return Action.ISBN_HELP
        if kind is CodeKind.MEMBER_CARD:
            if code == technician_card(institution):
                return Action.TECHNICIAN
            if self.mode is Mode.RETURNING:
                return Action.CARD_MID_RETURN
            if self.card is None:
                return Action.OPEN_MEMBER
            return Action.SAME_MEMBER if code == self.card else Action.SECOND_CARD
        if kind is CodeKind.ITEM:
            # A signed-in member's own loan scanned again is a return, a book borrowed in this
            # visit scanned again is nothing, anything else a borrow.
            if self.mode is not Mode.MEMBER:
                return Action.RETURN
            if any(line.barcode == code for line in self.borrows):
                return Action.SAME_ITEM
            on_loan = self.patron is not None and self.patron.loan(code) is not None
            return Action.RETURN if on_loan else Action.BORROW
        return Action.INVALID
