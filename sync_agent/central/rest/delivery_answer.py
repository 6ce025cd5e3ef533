"""What a command's 2xx must say before it settles it, and what of it is kept.

A 2xx proves only that *something* was accepted. It settles a command (an outbox entry, as the relay
sends it) only when it is about that command: the rental it carries must be of the same copy,
member, rental and kind as the request (a return's answer is a returned rental of that barcode; a
rent's a rented loan of that member and barcode; a cancel's the cancelled rental of that id; a
reservation's a reserved rental of that member and book; an unrent's the same rental reserved
again). Anything else (a cache or a proxy answering for another request, a central side replaying
another request's answer by key) is :class:`NotAboutEntry`: the client reports it in doubt, the
relay asks again, and after a bound makes it a dead letter that says what came back.

Of a matching answer only :data:`KEPT` is kept: what the receipt (due date, fine, fee), the
lending saga (the rental id a compensation cancels) and these checks read. The rest of the body,
whatever its size, is never written to the store.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sync_agent.central.port import Command, Verb
from sync_agent.wire.rest import Rental, RentalStatus

KEPT = frozenset({"id", "member_id", "book_id", "barcode", "status", "hold_until", "rented_at",
                  "due_at", "returned_at", "fine", "fee"})
"""Fields of a ``Rental`` stored with a delivered entry (snake_case; stored in camelCase)."""

EXPECTED_STATUS = {Verb.CHECK_IN: RentalStatus.RETURNED, Verb.CHECK_OUT: RentalStatus.RENTED,
                   Verb.CANCEL: RentalStatus.CANCELLED, Verb.RESERVE: RentalStatus.RESERVED,
                   Verb.UNRENT: RentalStatus.RESERVED}


SAME_MOMENT = timedelta(seconds=1)
"""How close a loan's start must be to a self-rent's ``occurredAt`` to be the loan it made: a
central side may keep whole seconds; one patron cannot start two loans of a copy within one."""


class NotAboutEntry(ValueError):
    """A readable ``Rental`` that answers some other request; the message says how it differs."""


def kept_answer(verb: Verb, command: Command, body: bytes) -> dict[str, Any]:
    """The kept fields of ``body`` if it is a ``Rental`` about ``command``.

    Raises ``pydantic.ValidationError`` when it is no ``Rental`` at all, :class:`NotAboutEntry`
    when it is another request's."""
    rental = Rental.model_validate_json(body)
    differences = mismatches(verb, command, rental)
    if differences:
        raise NotAboutEntry(f"answered rental #{rental.id}: " + "; ".join(differences))
    return kept(rental)


def kept(rental: Rental) -> dict[str, Any]:
    """The fields of ``rental`` the store keeps, as on the wire."""
    return rental.model_dump(mode="json", by_alias=True, include=set(KEPT))


MADE_AT = {Verb.CHECK_OUT: "rented_at", Verb.RESERVE: "reserved_at"}
"""The field in which the central side records a command's ``occurredAt``: a command of these
verbs can be recognised among the member's rentals."""


def made_by(verb: Verb, command: Command, rental: Rental, kiosk_id: str) -> bool:
    """Whether ``rental`` is what the intent ``command`` made: this kiosk's loan (or reservation) of
    that copy for that member, started when the patron asked (the central side records
    ``occurredAt`` as its start; to the second, for one that keeps whole seconds), so one made at
    the desk or at another visit is never taken for it."""
    started = getattr(rental, MADE_AT[verb]) if verb in MADE_AT else None
    return (started is not None and not mismatches(verb, command, rental) and rental.kiosk_no == kiosk_id
            and abs(started - command.occurred_at) < SAME_MOMENT)


def mismatches(verb: Verb, command: Command, rental: Rental) -> list[str]:
    """How ``rental`` differs from what the answer to ``command`` must be (empty: it matches)."""
    found = []
    expected = EXPECTED_STATUS[verb]
    if rental.status is not expected:
        found.append(f"status {rental.status.value}, not {expected.value}")
    if verb in (Verb.CANCEL, Verb.UNRENT):
        if rental.id != command.rental_id:
            found.append(f"rental #{rental.id}, not #{command.rental_id}")
        return found
    if verb in (Verb.CHECK_IN, Verb.CHECK_OUT) and rental.barcode != command.barcode:
        found.append(f"item {rental.barcode}, not {command.barcode}")
    if verb in (Verb.CHECK_OUT, Verb.RESERVE) and rental.member_id != command.member_id:
        found.append(f"member #{rental.member_id}, not #{command.member_id}")
    if verb is Verb.RESERVE:
        book_id = command.book_id if command.book_id is not None else command.body.get("bookId")
        if rental.book_id != book_id:
            found.append(f"book #{rental.book_id}, not #{book_id}")
    return found
