"""What a delivery's 2xx must say before it settles its entry, and what of it is kept.

A 2xx proves only that *something* was accepted. It settles an entry only when it is about that
entry: the rental it carries must be of the same copy, member, rental and kind as the request
(a return's answer is a returned rental of that barcode; a rent's a rented loan of that member
and barcode; a cancel's the cancelled rental of that id; a reservation's a reserved rental of
that member and book; an unrent's the same rental reserved again). Anything else (a cache or a proxy answering for another request, a
central side replaying another request's answer by key) is :class:`NotAboutEntry`: the client
reports it in doubt, the relay asks again, and after a bound makes it a dead letter that says
what came back.

Of a matching answer only :data:`KEPT` is kept: what the receipt (due date, fine, fee), the
lending saga (the rental id a compensation cancels) and these checks read. The rest of the body,
whatever its size, is never written to the store.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sync_agent.store.outbox import Kind, OutboxEntry
from sync_agent.wire.rest import Rental, RentalStatus

KEPT = frozenset({"id", "member_id", "book_id", "barcode", "status", "hold_until", "rented_at",
                  "due_at", "returned_at", "fine", "fee"})
"""Fields of a ``Rental`` stored with a delivered entry (snake_case; stored in camelCase)."""

EXPECTED_STATUS = {Kind.RETURN: RentalStatus.RETURNED, Kind.RENT: RentalStatus.RENTED,
                   Kind.CANCEL: RentalStatus.CANCELLED, Kind.RESERVE: RentalStatus.RESERVED,
                   Kind.UNRENT: RentalStatus.RESERVED}


SAME_MOMENT = timedelta(seconds=1)
"""How close a loan's start must be to a self-rent's ``occurredAt`` to be the loan it made: a
central side may keep whole seconds; one patron cannot start two loans of a copy within one."""


class NotAboutEntry(ValueError):
    """A readable ``Rental`` that answers some other request; the message says how it differs."""


def kept_answer(entry: OutboxEntry, body: bytes) -> dict[str, Any]:
    """The kept fields of ``body`` if it is a ``Rental`` about ``entry``.

    Raises ``pydantic.ValidationError`` when it is no ``Rental`` at all, :class:`NotAboutEntry`
    when it is another request's."""
    rental = Rental.model_validate_json(body)
    differences = mismatches(entry, rental)
    if differences:
        raise NotAboutEntry(f"answered rental #{rental.id}: " + "; ".join(differences))
    return kept(rental)


def kept(rental: Rental) -> dict[str, Any]:
    """The fields of ``rental`` the store keeps, as on the wire."""
    return rental.model_dump(mode="json", by_alias=True, include=set(KEPT))


MADE_AT = {Kind.RENT: "rented_at", Kind.RESERVE: "reserved_at"}
"""The field in which the central side records an intent's ``occurredAt``: an intent of these
kinds can be recognised among the member's rentals."""


def made_by(entry: OutboxEntry, rental: Rental, kiosk_id: str) -> bool:
    """Whether ``rental`` is what the intent ``entry`` made: this kiosk's loan (or reservation) of
    that copy for that member, started when the patron asked (the central side records
    ``occurredAt`` as its start; to the second, for one that keeps whole seconds), so one made at
    the desk or at another visit is never taken for it."""
    started = getattr(rental, MADE_AT[entry.kind]) if entry.kind in MADE_AT else None
    return (started is not None and not mismatches(entry, rental) and rental.kiosk_no == kiosk_id
            and abs(started - entry.occurred_at) < SAME_MOMENT)


def mismatches(entry: OutboxEntry, rental: Rental) -> list[str]:
    """How ``rental`` differs from what the answer to ``entry`` must be (empty: it matches)."""
    found = []
    expected = EXPECTED_STATUS[entry.kind]
    if rental.status is not expected:
        found.append(f"status {rental.status.value}, not {expected.value}")
    if entry.kind in (Kind.CANCEL, Kind.UNRENT):
        if rental.id != entry.rental_id:
            found.append(f"rental #{rental.id}, not #{entry.rental_id}")
        return found
    if entry.kind in (Kind.RETURN, Kind.RENT) and rental.barcode != entry.barcode:
        found.append(f"item {rental.barcode}, not {entry.barcode}")
    if entry.kind in (Kind.RENT, Kind.RESERVE) and rental.member_id != entry.member_id:
        found.append(f"member #{rental.member_id}, not #{entry.member_id}")
    if entry.kind is Kind.RESERVE:
        book_id = entry.book_id if entry.book_id is not None else entry.payload.get("bookId")
        if rental.book_id != book_id:
            found.append(f"book #{rental.book_id}, not #{book_id}")
    return found
