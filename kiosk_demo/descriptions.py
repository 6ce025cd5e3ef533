"""What the panel says under each card and label, derived from the state rather than fixed.

The demo data's notes ("on loan, overdue by 5 days") describe the library as it starts; after a
return or a borrow they would be wrong. So the panel asks the stand-in what it now holds (members,
copies, open rentals) and lays the kiosk's own outbox over it: a return waiting to be sent is
already a return for the patron at the kiosk, even while the central side is unreachable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from sync_agent.store.outbox import Kind, OutboxEntry, Status
from sync_agent.wire.rest import Book, BookStatus, Member, MemberStatus, Rental, RentalStatus

ASK_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Library:
    """The stand-in's answers that the descriptions are made from."""

    members: dict[str, Member] = field(default_factory=dict)   # by card number
    books: dict[str, Book] = field(default_factory=dict)       # by barcode
    rentals: list[Rental] = field(default_factory=list)        # reserved and rented only


def ask_library(url: str, cards: Iterable[str]) -> Library:
    """One look at the stand-in (a dozen small GETs on 127.0.0.1); raises ``httpx.HTTPError``
    when it is stopped or a service is down, and the caller keeps what it knew."""
    with httpx.Client(base_url=url, timeout=ASK_TIMEOUT_S) as http:
        def get(path: str, **params: str) -> Any:  # JSON
            answer = http.get(path, params=params)
            answer.raise_for_status()
            return answer.json()
        members = {card: Member.model_validate(get(f"/members/{card}")) for card in cards}
        page = get("/books")
        books = {book["barcode"]: Book.model_validate(book) for book in page["books"]}
        rentals = [Rental.model_validate(r) for status in (RentalStatus.RESERVED, RentalStatus.RENTED)
                   for r in get("/rentals", status=status.value)]
    return Library(members, books, rentals)


def describe(library: Library, recent: Iterable[OutboxEntry], now: datetime) -> dict[str, str]:
    """A description per card number and per item barcode the library knows, with the kiosk's
    recent returns laid over it: one not yet sent, and one sent for a copy the library's answer
    does not cover (over SIP2 there is no such answer: the outbox is all the panel knows)."""
    names = {member.id: member.name for member in library.members.values()}
    returns = [(entry.barcode, entry.status) for entry in recent if entry.kind is Kind.RETURN and entry.barcode]
    returning = {barcode for barcode, status in returns if status in (Status.PENDING, Status.IN_FLIGHT)}
    sent = {barcode for barcode, status in returns if status is Status.DELIVERED and barcode not in library.books}
    by_book = {rental.barcode: rental for rental in library.rentals}
    shown = {card: _member(member, library.rentals, now) for card, member in library.members.items()}
    for barcode, book in library.books.items():
        shown[barcode] = _book(book, by_book.get(barcode), names, now)
    for barcode in sent:
        shown[barcode] = "returned here and sent to the library system"
    for barcode in returning:
        shown[barcode] = "returned here; in the outbox, not yet sent"
    return shown


def _member(member: Member, rentals: list[Rental], now: datetime) -> str:
    if member.status is MemberStatus.WITHDRAWN:
        return "withdrawn card"
    if member.status is MemberStatus.BLOCKED:
        return f"blocked: unpaid fines of {member.fines:,} KRW"
    own = [rental for rental in rentals if rental.member_id == member.id]
    loans = [rental for rental in own if rental.status is RentalStatus.RENTED]
    overdue = sum(1 for rental in loans if rental.due_at is not None and rental.due_at < now)
    ready = len(own) - len(loans)
    parts = [f"{len(loans)} of {member.loan_limit} on loan" + (f", {overdue} overdue" if overdue else "")]
    if ready:
        parts.append(f"{ready} reservation{'s' if ready > 1 else ''} ready")
    if member.fines:
        parts.append(f"fines {member.fines:,} KRW")
    return " · ".join(parts)


def _book(book: Book, rental: Rental | None, names: dict[int, str], now: datetime) -> str:
    if book.status is BookStatus.WITHDRAWN:
        return "withdrawn (a lost copy)"
    if rental is None:
        return "available" if book.status is BookStatus.AVAILABLE else book.status.value
    who = names.get(rental.member_id, f"member {rental.member_id}")
    if rental.status is RentalStatus.RESERVED:
        return f"reserved for {who}" + (", ready for pickup" if rental.hold_until else "")
    if rental.due_at is None:
        return f"on loan to {who}"
    if rental.due_at < now:
        return f"on loan to {who}, overdue by {_days((now - rental.due_at).days)}"
    return f"on loan to {who}, due in {_days(-((now - rental.due_at) // timedelta(days=1)))}"


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"
