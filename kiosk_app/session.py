"""One patron's visit: who is signed in, what was returned, borrowed and cancelled; and what a scan
means at each moment of it.

Plain data with no I/O, so the whole visit can be dropped in one assignment when it ends (nothing of
the last patron survives on screen or in memory), and the routing rules are testable on their own.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from typing import TYPE_CHECKING

from hardware.codes import CodeKind

if TYPE_CHECKING:
    from kiosk_app.card_blocks import Reason
    from sync_agent.wire.rest import Member, MyPage, MyPageEntry

TECHNICIAN_SEQUENCE = "99999999"
"""The last member-card sequence of the institution is reserved for the technician card."""


def technician_card(institution: str) -> str:
    """The technician card of ``institution``: a valid member-card code no patron is issued
    (``20042999999996`` for institution ``0042``). python-stdnum is imported here, at the first
    scan, not with the welcome screen (:mod:`hardware.codes`)."""
    from stdnum import luhn

    body = "2" + institution + TECHNICIAN_SEQUENCE
    return body + luhn.calc_check_digit(body)


_VISIT_NUMBERS = itertools.count(secrets.randbelow(100))
"""The last two digits of a visit id: one after another from a random start, so that two visits
begun in the same second (Done, then the card again at once) never share an id, and a restarted
kiosk does not start where it left off."""


def new_session_id(now: datetime) -> str:
    """14 digits (the time and a two-digit number), even-length for a compact Code 128 on the receipt."""
    return f"{now:%y%m%d%H%M%S}{next(_VISIT_NUMBERS) % 100:02d}"


class Returned(StrEnum):
    """What a scanned return came to; only the first three put anything in the outbox."""

    RETURNED = "returned"  # the central side says it is on loan: accepted
    SAVED = "saved"  # offline, on loan as far as the kiosk knows: saved, sent automatically
    UNCHECKED = "unchecked"  # the kiosk cannot know (offline, unknown copy): accepted, checked later
    ALREADY = "already"  # its return is already saved (this visit or an earlier one)
    NOT_ON_LOAN = "not_on_loan"  # on the shelf or withdrawn: to the desk
    ON_HOLD = "on_hold"  # waiting for a member: to the hold shelf, or card first to borrow it

    @property
    def recorded(self) -> bool:
        return self in (Returned.RETURNED, Returned.SAVED, Returned.UNCHECKED)


@dataclass(frozen=True, slots=True)
class ReturnLine:
    barcode: str
    title: str | None
    days_late: int
    fine: int
    outcome: Returned = Returned.RETURNED


@dataclass(frozen=True, slots=True)
class BorrowLine:
    barcode: str
    title: str | None
    due_at: datetime
    queued: bool
    """True when saved to be confirmed later (offline, or its answer was lost): the agent sends it."""


@dataclass(frozen=True, slots=True)
class ReserveLine:
    """A reservation made and paid in this visit (the fee is on the receipt)."""

    barcode: str
    title: str | None
    fee: int
    hold_until: datetime | None


@dataclass(frozen=True, slots=True)
class DoubtLine:
    """A borrow or reservation the kiosk could not confirm: the patron was told it does not count,
    and it is undone automatically if the central side did record it."""

    kind: str  # "rent" or "reserve"
    barcode: str
    title: str | None


@dataclass(frozen=True, slots=True)
class CancelLine:
    barcode: str
    title: str
    fee: int = 0
    """The reservation fee the central side refunds."""


@dataclass(frozen=True, slots=True)
class RenewLine:
    """A renewal asked in this visit: renewed (to ``due_at`` when the central side said it), or
    not, with ``why`` (an i18n key)."""

    barcode: str
    title: str
    renewed: bool
    due_at: datetime | None = None
    why: str = ""
    said: str = ""
    """The library's own words about a refusal, when its system sent some."""
    reasons: tuple[Reason, ...] = ()
    """Why the card may not renew, as the library system said it (its blocks), one line each."""


class Became(StrEnum):
    """What became of an intent an earlier visit left unconfirmed, as the member screen says it."""

    UNDONE = "undone"  # it had been recorded; the compensation went through (refund / return)
    UNDOING = "undoing"  # it had been recorded; the compensation is on its way
    RESTORED = "restored"  # a loan had been recorded; it went back to the reservation, fee kept
    RESTORING = "restoring"  # a loan had been recorded; it is going back to the reservation
    NOT_MADE = "not_made"  # it was never recorded: nothing was charged or lent
    ENDED = "ended"  # it had been recorded, and ended before its undo came (returned; a hold ended)
    CHECKING = "checking"  # still not known
    SEE_DESK = "see_desk"  # a borrow saved offline was refused, or an undo failed: staff must act


@dataclass(frozen=True, slots=True)
class Earlier:
    """One outcome from an earlier visit, shown on the member screen once it is final."""

    kind: str  # "rent" or "reserve"
    barcode: str
    title: str | None
    at: datetime
    became: Became
    fee: int = 0


@dataclass
class Patron:
    """The signed-in member and their page, from the central view or (``cached``) the local one."""

    member: Member
    page: MyPage
    cached: bool
    pending: frozenset[str] | set[str] = frozenset()
    """Barcodes with local entries not yet synced (shown as "pending" on a cached view)."""
    earlier: list[Earlier] = field(default_factory=list)
    """What became of intents earlier visits left unconfirmed."""

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
    reservations: list[ReserveLine] = field(default_factory=list)
    doubts: list[DoubtLine] = field(default_factory=list)
    renewals: list[RenewLine] = field(default_factory=list)

    @property
    def mode(self) -> Mode:
        if self.card is not None:
            return Mode.MEMBER
        return Mode.RETURNING if self.recorded_returns else Mode.IDLE

    @property
    def recorded_returns(self) -> list[ReturnLine]:
        """Returns that went into the outbox (the rest only told the patron what to do)."""
        return [line for line in self.returns if line.outcome.recorded]

    @property
    def is_empty(self) -> bool:
        return self.card is None and not self.has_lines

    @property
    def has_lines(self) -> bool:
        return bool(self.recorded_returns or self.borrows or self.cancels or self.reservations
                    or self.doubts or self.renewals)

    def sign_in(self, card: str, patron: Patron) -> None:
        """The member behind ``card`` is now the visit's (the visit becomes a member visit)."""
        self.card, self.patron = card, patron

    def shows(self, barcode: str) -> bool:
        """Whether this visit already lists the copy as reserved or unconfirmed."""
        return self.reserved(barcode) or any(doubt.barcode == barcode for doubt in self.doubts)

    def settled(self, barcode: str) -> None:
        """A try of this copy was confirmed: it is no longer "could not be confirmed"."""
        self.doubts = [doubt for doubt in self.doubts if doubt.barcode != barcode]

    def reserved(self, barcode: str) -> bool:
        return any(line.barcode == barcode for line in self.reservations)

    def returned(self, barcode: str) -> bool:
        return any(line.barcode == barcode and line.outcome.recorded for line in self.returns)

    @property
    def queued_borrows(self) -> int:
        return sum(1 for line in self.borrows if line.queued)

    @property
    def total_fine(self) -> int:
        return sum(line.fine for line in self.returns)

    @property
    def fees_charged(self) -> int:
        return sum(line.fee for line in self.reservations)

    @property
    def refunds_due(self) -> int:
        return sum(line.fee for line in self.cancels)

    def route(self, kind: CodeKind, code: str, institution: str) -> Action:
        """Decide what a scan of ``kind`` means now; nothing is written for the refusing ones."""
        if kind is CodeKind.ISBN:
            return Action.ISBN_HELP
        if kind is CodeKind.MEMBER_CARD:
            if code == technician_card(institution):
                return Action.TECHNICIAN
            if self.card is None:  # returns made first stay on the visit the card opens
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
