"""What a patron's action comes to, in the kiosk's words: a refusal (why, and what to do next),
an offer to reserve and borrow, a PIN's verdict, and the outcomes a borrow can have.

Apart from the use-cases (:mod:`kiosk_app.lending`, which decides them) so that the app can tell
them apart and show them without loading what decides them: the app's shell paints its first frame
before the settings model, the store and the central side are imported (:mod:`kiosk_app.start`),
and this vocabulary costs nothing to import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk_app.session import BorrowLine, RenewLine

if TYPE_CHECKING:
    from kiosk_app.card_blocks import Reason
    from sync_agent.central.results import Refused
    from sync_agent.wire.rest import Book

_REFUSALS = {
    "reserved_for_other": ("why_reserved_for_other", "next_reserved_for_other"),
    "limit_reached": ("why_limit_reached", "next_limit_reached"),
    "member_blocked": ("why_member_blocked", "next_member_blocked"),
    "card_blocked": ("why_card_cannot_borrow", "next_card_cannot_borrow"),
    "member_withdrawn": ("why_member_withdrawn", "next_member_withdrawn"),
    "book_withdrawn": ("why_book_withdrawn", "next_book_withdrawn"),
    "return_pending": ("why_return_pending", "next_return_pending"),
    "book_unavailable": ("why_book_unavailable", "next_ask_desk"),
    "not_reserved": ("why_book_unavailable", "next_ask_desk"),
    "payment_declined": ("why_payment_declined", "next_ask_desk"),
    "already_yours": ("why_already_yours", "next_already_yours"),
    "pin_not_set": ("why_pin_not_set", "next_ask_desk"),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why nothing happened (``why``) and what the patron can do (``next``), as i18n keys."""

    why: str
    next: str
    fields: dict[str, object] = field(default_factory=dict)
    said: str = ""
    """The library's own words, when its system sent some for the patron (shown under ours)."""
    reasons: tuple[Reason, ...] = ()
    """Each reason the library system gave (a card's blocks), one line each under ``why``."""

    @classmethod
    def for_code(cls, code: str, said: str = "") -> Refusal:
        why, next_step = _REFUSALS.get(code, ("why_refused", "next_ask_desk"))
        return cls(why, next_step, said=said)

    @classmethod
    def of(cls, refused: Refused) -> Refusal:
        """The central side's refusal in the kiosk's words, with the library's own."""
        return cls.for_code(refused.code, refused.said)


BUSY = Refusal("why_busy", "next_busy")
OUT_OF_SERVICE = Refusal("why_lending_out_of_service", "next_lending_out_of_service")
"""The library system refuses the kiosk itself (its SIP2 login, its token): no card can be checked
until a technician fixes it, but returns are still taken."""
PAYMENT_BUSY = Refusal("why_payment_busy", "next_payment_busy")
RENT_UNCONFIRMED = Refusal("why_rent_unconfirmed", "next_rent_unconfirmed")
RESERVE_UNCONFIRMED = Refusal("why_reserve_unconfirmed", "next_reserve_unconfirmed")
MEMBER_UNKNOWN = Refusal("why_member_unknown", "next_ask_desk")
BOOK_UNKNOWN = Refusal("why_book_unknown", "next_ask_desk")
PIN_UNCHECKED = Refusal("why_member_offline", "next_member_offline")
"""The PIN cannot be checked now (the library system unreachable, its breaker open, an answer
lost): the card is not let in, the patron is told to try again shortly, as for a card that cannot
be checked."""


@dataclass(frozen=True, slots=True)
class PinAccepted:
    """The library system says the PIN is the card's: the member's page may open."""


@dataclass(frozen=True, slots=True)
class PinWrong:
    """The library system says the PIN is not the card's. ``tries_left``: how many more wrong
    ones before it locks the card's PIN entry, when it says (REST; SIP2 does not)."""

    tries_left: int | None


PinOutcome = PinAccepted | PinWrong | Refusal


@dataclass(frozen=True, slots=True)
class Offer:
    """An available copy not reserved for the member: it can be reserved and borrowed in one step
    for ``fee`` (KRW, as the central side quoted it)."""

    book: Book
    fee: int


Outcome = BorrowLine | RenewLine | Offer | Refusal
"""What a scanned borrow comes to; a ``RenewLine`` when the ACS renewed a copy already on the
patron's card instead of lending it (a SIP2 12 with renewal Y)."""
