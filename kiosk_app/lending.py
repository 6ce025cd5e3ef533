"""The patron use-cases: return, open a member, borrow, reserve-and-borrow, cancel.

Plain asyncio over the store (each SQLite call in a thread, so the event loop never waits on the
disk) and the central client (async httpx behind breakers). Every outcome is a value the screens
render: a line for the visit, an :class:`Offer`, or a :class:`Refusal` naming the i18n keys of why
and what to do next. Nothing here knows about Textual.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kiosk_app.card_lookup import CardLookup, card_secret
from kiosk_app.fines import days_late, fine_estimate
from kiosk_app.session import BorrowLine, CancelLine, Patron, ReturnLine, Session
from sync_agent.client import Busy, CentralClient, NotFound, Ok, Refused
from sync_agent.contract import Book, BookStatus, Member, MemberStatus, MyPage, MyPageEntry
from sync_agent.outbox import Outbox
from sync_agent.read_model import ReadModel
from sync_agent.relay import Relay
from sync_agent.retention import Retention
from sync_agent.settings import Settings
from sync_agent.store import Store, StoreError

log = logging.getLogger(__name__)

DELIVER_BEFORE_RENT_S = 2.0
"""How long a borrow waits for the book's pending outbox entries to reach the central side."""

_REFUSALS = {
    "reserved_for_other": ("why_reserved_for_other", "next_reserved_for_other"),
    "limit_reached": ("why_limit_reached", "next_limit_reached"),
    "member_blocked": ("why_member_blocked", "next_member_blocked"),
    "member_withdrawn": ("why_member_withdrawn", "next_member_withdrawn"),
    "book_withdrawn": ("why_book_withdrawn", "next_book_withdrawn"),
    "return_pending": ("why_return_pending", "next_return_pending"),
    "book_unavailable": ("why_book_unavailable", "next_ask_desk"),
    "not_reserved": ("why_book_unavailable", "next_ask_desk"),
    "payment_declined": ("why_payment_declined", "next_ask_desk"),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why nothing happened (``why``) and what the patron can do (``next``), as i18n keys."""

    why: str
    next: str
    fields: dict[str, object] = field(default_factory=dict)

    @classmethod
    def for_code(cls, code: str) -> Refusal:
        why, next_step = _REFUSALS.get(code, ("why_refused", "next_ask_desk"))
        return cls(why, next_step)


BUSY = Refusal("why_busy", "next_busy")
MEMBER_UNKNOWN = Refusal("why_member_unknown", "next_ask_desk")
BOOK_UNKNOWN = Refusal("why_book_unknown", "next_ask_desk")


@dataclass(frozen=True, slots=True)
class Offer:
    """An available copy not reserved for the member: it can be reserved and borrowed in one step."""

    book: Book


class Lending:
    """The use-cases of one kiosk; ``relay`` delivers a book's pending entries before a rent."""

    def __init__(self, settings: Settings, store: Store, client: CentralClient,
                 relay: Relay) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.relay = relay
        self.outbox = Outbox(store, settings.id)
        self.read_model = ReadModel(store, self.outbox)
        self.cards = CardLookup(store, card_secret(settings))
        self.retention = Retention(store, settings)

    def new_key(self) -> str:
        return f"{self.settings.id}:{uuid.uuid4()}"

    # -- return (works with the central side down) ---------------------------------------------

    async def return_book(self, barcode: str, now: datetime, patron: Patron | None,
                          online: bool) -> ReturnLine:
        """Commit the return to the outbox (raises StoreError if it did not reach the disk), then
        estimate the fine from the loan's due date as far as the kiosk knows it."""
        return await asyncio.to_thread(self._return_book, barcode, now, patron, online)

    def _return_book(self, barcode: str, now: datetime, patron: Patron | None,
                     online: bool) -> ReturnLine:
        title = self.read_model.title_for(barcode)
        loan = patron.loan(barcode) if patron else None
        entry = self.outbox.append_return(barcode, now)  # no title: nothing of who read what
        if loan is None and entry.member_id is not None:
            view = self.read_model.member_view(entry.member_id)
            loan = next((e for e in view.page.loans if e.barcode == barcode), None) if view else None
        due = loan.due_at if loan else None
        return ReturnLine(barcode, title or (loan.title if loan else None), days_late(due, now),
                          fine_estimate(due, now), saved_offline=not online)

    # -- member ----------------------------------------------------------------------------------

    async def open_member(self, card: str, now: datetime) -> Patron | Refusal:
        """The member behind ``card`` with their page: central when it answers, else the cached
        view plus pending local entries; a blocked or withdrawn card is refused."""
        found = await self.client.member_by_card(card)
        if isinstance(found, NotFound):
            return MEMBER_UNKNOWN
        if isinstance(found, Refused):
            return Refusal.for_code(found.code)
        if isinstance(found, Busy):
            return await asyncio.to_thread(self._cached_patron, card)
        member = found.value
        refusal = _status_refusal(member)
        if refusal:
            return refusal
        page = await self.client.mypage(member.id)
        if not isinstance(page, Ok):
            await asyncio.to_thread(self._remember, card, member)
            cached = await asyncio.to_thread(self._cached_patron, card)
            if isinstance(cached, Patron):
                return cached
            empty = MyPage(member_id=member.id, name=member.name, fines=member.fines,
                           reservations=[], loans=[], as_of=now)
            return Patron(member, empty, cached=True)
        await asyncio.to_thread(self._remember, card, member, page.value)
        return Patron(member, page.value, cached=False)

    def _remember(self, card: str, member: Member, page: MyPage | None = None) -> None:
        if page is not None:
            self.read_model.cache_member_view(page, self.retention.expiry_of_new_view(time.time()))
        self.cards.remember(card, member)

    def _cached_patron(self, card: str) -> Patron | Refusal:
        member = self.cards.find(card)
        view = self.read_model.member_view(member.id) if member else None
        if member is None or view is None:
            return Refusal("why_member_offline", "next_member_offline")
        return _status_refusal(member) or Patron(member, view.page, cached=True,
                                                 pending=view.pending_barcodes())

    async def end_visit(self, session: Session) -> None:
        """The visit is over: the member's cached view is kept only a grace longer."""
        if session.patron is None:
            return
        try:
            await asyncio.to_thread(self.retention.end_visit, session.patron.member.id, time.time())
        except StoreError as exc:  # the view keeps the expiry it was cached with
            log.error("could not shorten member %d's view to the grace: %s", session.patron.member.id, exc)

    # -- borrow ----------------------------------------------------------------------------------

    async def borrow(self, session: Session, barcode: str, now: datetime) -> BorrowLine | Offer | Refusal:
        """Borrow a copy reserved for the member; offer reserve-and-borrow for an available one.
        The book's pending outbox entries (a return made here minutes ago) go out first, so the
        central side never judges the copy on a state the kiosk already changed."""
        if not await self.relay.deliver_book(barcode, DELIVER_BEFORE_RENT_S):
            return Refusal.for_code("return_pending")
        patron = session.patron
        assert patron is not None
        if patron.reservation(barcode) is None:
            found = await self.client.book(barcode)
            if isinstance(found, NotFound):
                return BOOK_UNKNOWN
            if isinstance(found, Ok) and found.value.status is BookStatus.AVAILABLE:
                return Offer(found.value)
            if isinstance(found, Ok) and found.value.status is BookStatus.WITHDRAWN:
                return Refusal.for_code("book_withdrawn")
        return await self._rent(session, barcode, now)

    async def reserve_and_borrow(self, session: Session, book: Book, now: datetime) -> BorrowLine | Refusal:
        """Reserve (paying through the payment service), then rent at once."""
        patron = session.patron
        assert patron is not None
        reserved = await self.client.reserve(patron.member.id, book.id, self.new_key())
        if isinstance(reserved, Busy):
            return BUSY
        if isinstance(reserved, NotFound):
            return BOOK_UNKNOWN
        if isinstance(reserved, Refused):
            return Refusal.for_code(reserved.code)
        return await self._rent(session, book.barcode, now, title=book.title)

    async def _rent(self, session: Session, barcode: str, now: datetime,
                    title: str | None = None) -> BorrowLine | Refusal:
        patron = session.patron
        assert patron is not None
        key = self.new_key()
        rented = await self.client.kiosk_rent(patron.member.id, barcode, key, now)
        if isinstance(rented, Busy) and _in_doubt(rented):
            # The loan may have been made with its answer lost on the way: ask once more under the
            # same key, which replays the first answer rather than renting again.
            rented = await self.client.kiosk_rent(patron.member.id, barcode, key, now)
        if isinstance(rented, Ok):
            return BorrowLine(barcode, title or _title(patron, barcode) or await self._title(barcode),
                              rented.value.due_at or self._offline_due(now), queued=False)
        if isinstance(rented, NotFound):
            return BOOK_UNKNOWN
        if isinstance(rented, Refused):
            return Refusal.for_code(rented.code)
        return await self._offline_or_busy(session, barcode, now, title)

    async def _offline_or_busy(self, session: Session, barcode: str, now: datetime,
                               title: str | None) -> BorrowLine | Refusal:
        """The central side did not answer: queue the borrow if the kiosk allows it, else the
        seed's fallback. Nothing is recorded as borrowed in the second case."""
        if self.settings.offline_checkout != "allow":
            return BUSY
        limit = self.settings.offline_max_items
        if session.queued_borrows >= limit:
            return Refusal("why_offline_limit", "next_offline_limit", {"max": limit})
        patron = session.patron
        assert patron is not None
        await asyncio.to_thread(self.outbox.append_rent, patron.member.id, barcode, now)
        return BorrowLine(barcode, title or _title(patron, barcode) or await self._title(barcode),
                          self._offline_due(now), queued=True)

    def _offline_due(self, now: datetime) -> datetime:
        return now + timedelta(days=self.settings.offline_due_days)

    async def _title(self, barcode: str) -> str | None:
        return await asyncio.to_thread(self.read_model.title_for, barcode)

    # -- cancel ----------------------------------------------------------------------------------

    async def cancel(self, session: Session, reservation: MyPageEntry, now: datetime) -> CancelLine:
        """Queue the cancel in the outbox; the central side refunds the reservation's payment."""
        patron = session.patron
        assert patron is not None
        await asyncio.to_thread(self.outbox.append_cancel, reservation.rental_id, reservation.barcode,
                                patron.member.id, now)
        return CancelLine(reservation.barcode, reservation.title)

    # -- health ----------------------------------------------------------------------------------

    async def online(self) -> bool:
        return isinstance(await self.client.health(), Ok)


def _status_refusal(member: Member) -> Refusal | None:
    if member.status is MemberStatus.BLOCKED:
        return Refusal.for_code("member_blocked")
    if member.status is MemberStatus.WITHDRAWN:
        return Refusal.for_code("member_withdrawn")
    return None


def _in_doubt(busy: Busy) -> bool:
    """Sent but not answered, or answered unreadably: the central side may have acted on it. (A
    refused connection, a 5xx or an open breaker say it did not.)"""
    if busy.reason.startswith("connection"):
        return "Connect" not in busy.reason
    return busy.reason == "timeout" or busy.reason.startswith("malformed")


def _title(patron: Patron, barcode: str) -> str | None:
    entry = patron.reservation(barcode) or patron.loan(barcode)
    return entry.title if entry else None
