"""The patron use-cases: return, open a member, borrow, reserve-and-borrow, cancel, renew.

Plain asyncio over the store (each SQLite call in a thread, so the event loop never waits on the
disk) and the central port (``sync_agent.central.port.Central``, REST or SIP2 behind breakers). Each
use-case writes what happened into the visit (:class:`~kiosk_app.session.Session`) and answers what
the screen must say: nothing more than the visit shows, an :class:`Offer`, or a :class:`Refusal`
naming the i18n keys of why and what to do next. Nothing here knows about Textual.

Borrowing is a saga (``docs/architecture.md``, "The lending saga"): a self-rent or a reservation is
committed to the outbox as an *intent* before its first call, asked under its idempotency key while
the patron waits (:attr:`Settings.borrow_wait_s`), and settled by what the patron is then told.
An answer that may have been applied but was lost is *in doubt*, never "no": the patron is told the
kiosk could not confirm it and that it will not count, and the agent undoes it if the central side
did apply it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from kiosk_app.card_blocks import reasons, renewals_stopped
from kiosk_app.card_lookup import CardLookup, card_secret
from kiosk_app.fines import LIBRARY_TZ, days_late, fine_estimate
from kiosk_app.i18n import ClockTime, fmt_won
from kiosk_app.outcomes import (
    BOOK_UNKNOWN,
    BUSY,
    MEMBER_UNKNOWN,
    OUT_OF_SERVICE,
    PAYMENT_BUSY,
    PIN_UNCHECKED,
    RENT_UNCONFIRMED,
    RESERVE_UNCONFIRMED,
    Offer,
    Outcome,
    PinAccepted,
    PinOutcome,
    PinWrong,
    Refusal,
)
from kiosk_app.session import (
    Became,
    BorrowLine,
    CancelLine,
    DoubtLine,
    Earlier,
    Patron,
    RenewLine,
    ReserveLine,
    Returned,
    ReturnLine,
    Session,
)
from sync_agent.agent.relay import Asked, Relay
from sync_agent.central.port import Central
from sync_agent.central.results import Busy, InDoubt, NotFound, Ok, Refused, Result, is_kiosk_wide
from sync_agent.settings import Settings
from sync_agent.store import schedule_clock
from sync_agent.store.database import Store, StoreError
from sync_agent.store.outbox import OPEN, Kind, OutboxEntry, Settlement, Status, Told
from sync_agent.wire.rest import (
    Book,
    BookStatus,
    Circulation,
    ItemState,
    Member,
    MemberStatus,
    MyPage,
    MyPageEntry,
    Rental,
)

log = logging.getLogger(__name__)

DELIVER_BEFORE_RENT_S = 2.0
"""How long a borrow waits for the book's pending outbox entries to reach the central side."""

_RENEWAL_REFUSALS = {
    "renewal_limit": "renew_no_limit",
    "reserved_for_other": "renew_no_reserved",
    "member_blocked": "renew_no_blocked",
    "card_blocked": "renew_no_blocked",
    "overdue": "renew_no_overdue",
    "renewal_denied": "renew_no_denied",
}
"""Why a renewal was refused, by the central side's code, as the i18n key the patron reads."""


class Lending:
    """The use-cases of one kiosk; ``relay`` asks intents and delivers a book's earlier entries."""

    def __init__(self, settings: Settings, store: Store, client: Central,
                 relay: Relay) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.relay = relay
        self.outbox = relay.outbox  # one outbox, read model and retention per process: the relay's
        self.read_model = relay.read_model
        self.intents = relay.intents  # the lending saga's ledger (sync_agent.agent.saga)
        self.cards = CardLookup(store, card_secret(settings))
        self.retention = relay.retention
        self.session_ends: set[asyncio.Task[None]] = set()
        """Ends of patron sessions still under way (each bounded by the call's deadline)."""

    @property
    def doubt_hold_s(self) -> float:
        """How long an unconfirmed intent waits for the patron to try again in the same visit
        before the agent settles it (the visit's end hands it over sooner)."""
        return 2.0 * self.settings.session_timeout_s

    # -- return (works with the central side down) ---------------------------------------------

    async def return_book(self, session: Session, barcode: str, now: datetime,
                          online: bool) -> ReturnLine:
        """Accept a return if the book is on loan as far as the kiosk can know: asked of the
        central side when online, else from the local catalog and loans. Only an accepted return
        is committed to the outbox (raises StoreError if it did not reach the disk), and a book
        whose return is already saved adds nothing. The line joins the visit."""
        if session.returned(barcode):
            line = ReturnLine(barcode, await self._title(barcode), 0, 0, Returned.ALREADY)
        else:
            state = await self.client.item_state(barcode) if online else None
            line = await asyncio.to_thread(self._return_book, barcode, now, session.patron, state)
        session.returns.append(line)
        return line

    def _return_book(self, barcode: str, now: datetime, patron: Patron | None,
                     state: Result[ItemState] | None) -> ReturnLine:
        title = self.read_model.title_for(barcode)
        item = state.value if isinstance(state, Ok) else None
        title = title or (item.title if item else None)
        outcome = self._judge(barcode, item, unknown=isinstance(state, NotFound))
        if not outcome.recorded:
            return ReturnLine(barcode, title, 0, 0, outcome)
        entry = self.outbox.append_return(barcode, now)  # no title: nothing of who read what
        loan = (patron.loan(barcode) if patron else None) or self._cached_loan(entry)
        due = item.due_at if item else (loan.due_at if loan else None)
        return ReturnLine(barcode, title or (loan.title if loan else None), days_late(due, now),
                          fine_estimate(due, now), outcome)

    def _judge(self, barcode: str, item: ItemState | None, *, unknown: bool) -> Returned:
        """What a scanned return comes to. Only a copy on loan, or one the kiosk cannot know
        about, is accepted; the central side's answer (``item``) decides when there is one, else
        what the kiosk itself knows."""
        earlier = self.outbox.last_return(barcode)
        if earlier is not None and earlier.status in OPEN:
            return Returned.ALREADY
        if unknown:
            return Returned.UNCHECKED
        circulation: Circulation | None
        if item is not None:
            circulation, accepted = item.circulation, Returned.RETURNED
        elif earlier is not None:  # offline: the kiosk's own delivered return is the latest news
            return Returned.ALREADY
        else:
            circulation = self.read_model.local_circulation(barcode)
            accepted = Returned.SAVED if circulation is Circulation.ON_LOAN else Returned.UNCHECKED
        if circulation is Circulation.ON_HOLD:
            return Returned.ON_HOLD
        if circulation in (Circulation.ON_SHELF, Circulation.WITHDRAWN):
            return Returned.ALREADY if earlier is not None else Returned.NOT_ON_LOAN
        return accepted

    def _cached_loan(self, entry: OutboxEntry) -> MyPageEntry | None:
        """The loan in the cached view of the member the outbox attached the return to."""
        view = self.read_model.member_view(entry.member_id) if entry.member_id is not None else None
        return next((e for e in view.page.loans if e.barcode == entry.barcode), None) if view else None

    # -- member ----------------------------------------------------------------------------------

    async def check_pin(self, card: str, pin: SecretStr) -> PinOutcome:
        """The library system's word on the PIN typed after the card scan (``patron_pin =
        "required"``). It counts wrong PINs and locks, not the kiosk; a lock is told with its end
        ("until 14:35"). Whatever keeps the answer away lets nobody in (:data:`PIN_UNCHECKED`).
        The PIN is handed on and forgotten: not stored, not logged."""
        answer = await self.client.check_pin(card, pin)
        if isinstance(answer, Ok):
            check = answer.value
            if check.valid:
                return PinAccepted()
            if check.locked_until is not None:
                return Refusal("why_pin_locked", "next_pin_locked",
                               {"until": ClockTime(check.locked_until, LIBRARY_TZ)})
            return PinWrong(check.tries_left)
        if isinstance(answer, NotFound):
            return MEMBER_UNKNOWN
        if isinstance(answer, Refused):
            return Refusal.of(answer)
        return OUT_OF_SERVICE if is_kiosk_wide(answer) else PIN_UNCHECKED

    async def open_member(self, session: Session, card: str, now: datetime) -> Patron | Refusal:
        """Sign the member behind ``card`` into the visit, with their page: central when it
        answers, else the cached view plus pending local entries; a blocked or withdrawn card is
        refused (and signs nobody in). The patron also learns what became of intents earlier
        visits left unconfirmed."""
        found = await self._find_member(card, now, session.id)
        if isinstance(found, Patron):
            session.sign_in(card, found)
        return found

    async def _find_member(self, card: str, now: datetime, visit: str) -> Patron | Refusal:
        found = await self.client.member_by_card(card)
        if isinstance(found, NotFound):
            return MEMBER_UNKNOWN
        if isinstance(found, Refused):
            return Refusal.of(found)
        if is_kiosk_wide(found):
            return OUT_OF_SERVICE
        if isinstance(found, Busy | InDoubt):
            patron = await asyncio.to_thread(self._cached_patron, card)
        else:
            patron = await self._central_patron(card, found.value, now)
        if isinstance(patron, Patron):
            patron.earlier = await asyncio.to_thread(self._earlier, patron.member.id, visit)
        return patron

    async def _central_patron(self, card: str, member: Member, now: datetime) -> Patron | Refusal:
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

    def _earlier(self, member_id: int, visit: str) -> list[Earlier]:
        """Outcomes of this member's unconfirmed intents from earlier visits; the final ones are
        marked shown so each is told once."""
        shown: list[Earlier] = []
        final: list[int] = []
        for entry in self.intents.unreported_intents(member_id):
            if entry.visit == visit:
                continue
            became = self._became(entry)
            shown.append(Earlier(entry.kind.value, entry.barcode or "",
                                 self.read_model.title_for(entry.barcode or ""),
                                 entry.occurred_at, became, _fee(entry)))
            if became not in (Became.CHECKING, Became.UNDOING, Became.RESTORING):  # still under way
                final.append(entry.id)
        if final:
            self.outbox.mark_reported(final)
        return shown

    def _became(self, entry: OutboxEntry) -> Became:
        if entry.told is Told.QUEUED or entry.status is Status.DEAD:
            return Became.SEE_DESK  # a borrow saved offline that the central side refused
        if entry.status in OPEN:
            return Became.CHECKING
        if entry.status is Status.DECLINED:
            return Became.NOT_MADE
        undo = self.intents.compensation_of(entry.id)
        restoring = undo is not None and undo.kind is Kind.UNRENT
        if undo is None or undo.status in OPEN:
            return Became.RESTORING if restoring else Became.UNDOING
        if undo.status is Status.DECLINED:
            return Became.ENDED  # the undo found nothing left (saga.ALREADY_UNDONE): nothing for the desk
        if undo.status is not Status.DELIVERED:
            return Became.SEE_DESK
        return Became.RESTORED if restoring else Became.UNDONE

    # -- borrow ----------------------------------------------------------------------------------

    async def borrow(self, session: Session, barcode: str, now: datetime) -> Outcome:
        """Borrow a copy reserved for the member; offer reserve-and-borrow for an available one.
        A borrow of this copy the kiosk could not confirm earlier in the visit is asked again
        under its own key. Otherwise the book's unsettled outbox entries (a return made here
        minutes ago) go out first, so the central side never judges the copy on a state the kiosk
        already changed."""
        patron = session.patron
        assert patron is not None
        again = await self._reclaim(session, "rent", barcode)
        if again is not None:
            return await self._ask_rent(session, again, _title(patron, barcode))
        if (patron.reservation(barcode) is None and not session.reserved(barcode)
                and not self.client.lends_from_shelf):
            if not await self.relay.deliver_book(barcode, DELIVER_BEFORE_RENT_S):
                return Refusal.for_code("return_pending")
            found = await self.client.book(barcode)
            if isinstance(found, NotFound):
                return BOOK_UNKNOWN
            if isinstance(found, Ok) and found.value.status is BookStatus.AVAILABLE:
                return await self._offer(patron.member.id, found.value)
            if isinstance(found, Ok) and found.value.status is BookStatus.WITHDRAWN:
                return Refusal.for_code("book_withdrawn")
        return await self._rent(session, barcode, now)

    async def _offer(self, member_id: int, book: Book) -> Offer | Refusal:
        """Quote the reservation fee before the patron confirms: the central side's figure."""
        quote = await self.client.reservation_quote(member_id, book.id)
        if isinstance(quote, Ok):
            return Offer(book, quote.value.fee)
        if isinstance(quote, NotFound):
            return BOOK_UNKNOWN
        if isinstance(quote, Refused):
            return Refusal.of(quote)
        return PAYMENT_BUSY

    async def reserve_and_borrow(self, session: Session, offer: Offer, now: datetime) -> Outcome:
        """Reserve (the central side takes the fee), then rent at once. A confirmed reservation is
        kept whatever the loan's fate, and the patron is told so."""
        patron = session.patron
        assert patron is not None
        book = offer.book
        entry = await self._reclaim(session, "reserve", book.barcode)
        if entry is None:
            entry = await self._begin(self.intents.begin_reserve, book.barcode, patron.member.id,
                                      book.id, book.barcode, now, visit=session.id)
        if entry is None:
            return Refusal.for_code("return_pending")
        asked = await self.relay.ask(entry, self.settings.borrow_wait_s,
                                     doubted=entry.told is Told.UNDO)
        result = asked.result
        if isinstance(result, Ok):
            rental = Rental.model_validate(result.value)
            await self._settle(entry, asked, Status.DELIVERED, Told.CONFIRMED)
            session.settled(book.barcode)
            reserved = ReserveLine(book.barcode, book.title, rental.fee, rental.hold_until)
            session.reservations.append(reserved)
            rented = await self._rent(session, book.barcode, now, title=book.title)
            if isinstance(rented, Refusal) and rented is not RENT_UNCONFIRMED:
                return Refusal(rented.why, "next_reserved_kept", {"fee": fmt_won(reserved.fee)},
                               rented.said)
            return rented
        if isinstance(result, NotFound | Refused):
            await self._settle(entry, asked, Status.DECLINED, Told.DECLINED)
            return BOOK_UNKNOWN if isinstance(result, NotFound) else Refusal.of(result)
        if not asked.in_doubt:
            await self._settle(entry, asked, Status.DECLINED, Told.DECLINED)
            return PAYMENT_BUSY
        await self._settle(entry, asked, Status.PENDING, Told.UNDO, hold=True)
        session.doubts.append(DoubtLine("reserve", book.barcode, book.title))
        log.warning("reservation of item %s could not be confirmed (%d tries): the patron was told "
                    "it does not count", book.barcode, asked.attempts)
        return RESERVE_UNCONFIRMED

    async def _rent(self, session: Session, barcode: str, now: datetime,
                    title: str | None = None) -> Outcome:
        patron = session.patron
        assert patron is not None
        entry = await self._begin(self.intents.begin_rent, barcode, patron.member.id, barcode, now,
                                  visit=session.id)
        if entry is None:
            return Refusal.for_code("return_pending")
        return await self._ask_rent(session, entry, title)

    async def _begin(self, begin: Callable[..., OutboxEntry | None], barcode: str, *args: Any,
                     visit: str) -> OutboxEntry | None:
        """Write an intent, claimed by this process. If the copy still has unsettled entries (a
        return made here minutes ago), they go to the central side first, so it never judges the
        copy on a state the kiosk already changed; None if they cannot go within the wait."""
        claim = {"visit": visit, "owner": self.relay.owner, "lease_s": self.relay.lease_s}
        entry = await asyncio.to_thread(begin, *args, **claim)
        if entry is None and await self.relay.deliver_book(barcode, DELIVER_BEFORE_RENT_S):
            entry = await asyncio.to_thread(begin, *args, **claim)
        return entry

    async def _ask_rent(self, session: Session, entry: OutboxEntry, title: str | None) -> Outcome:
        """Ask the self-rent intent and tell the patron only what is true of its answer."""
        patron = session.patron
        assert patron is not None
        barcode = entry.barcode or ""
        asked = await self.relay.ask(entry, self.settings.borrow_wait_s,
                                     doubted=entry.told is Told.UNDO)
        result = asked.result
        named = result.title if isinstance(result, Ok) else ""  # the title the answer carries (AJ)
        title = title or _title(patron, barcode) or named or await self._title(barcode)
        if isinstance(result, Ok):
            rental = Rental.model_validate(result.value)
            await self._settle(entry, asked, Status.DELIVERED, Told.CONFIRMED)
            session.settled(barcode)
            if rental.renewals:  # the copy was already the patron's: the ACS renewed it
                renewed = RenewLine(barcode, title or barcode, True, rental.due_at)
                session.renewals.append(renewed)
                return renewed
            line = BorrowLine(barcode, title, rental.due_at or self._offline_due(entry.occurred_at),
                              queued=False)
            session.borrows.append(line)
            return line
        if isinstance(result, NotFound | Refused):
            await self._settle(entry, asked, Status.DECLINED, Told.DECLINED)
            return BOOK_UNKNOWN if isinstance(result, NotFound) else Refusal.of(result)
        queue = self.settings.offline_checkout == "allow" and self.client.sends_stored_checkouts
        limit = self.settings.offline_max_items
        if queue and session.queued_borrows < limit:
            # The library lets a borrow wait for the central side: saved, sent by the agent under
            # the same key (applied exactly once, whether or not a lost answer had applied it).
            await self._settle(entry, asked, Status.PENDING, Told.QUEUED)
            line = BorrowLine(barcode, title, self._offline_due(entry.occurred_at), queued=True)
            session.borrows.append(line)
            return line
        if asked.in_doubt:
            await self._settle(entry, asked, Status.PENDING, Told.UNDO, hold=True)
            session.doubts.append(DoubtLine("rent", barcode, title))
            log.warning("loan of item %s could not be confirmed (%d tries): the patron was told it "
                        "does not count", barcode, asked.attempts)
            return RENT_UNCONFIRMED
        await self._settle(entry, asked, Status.DECLINED, Told.DECLINED)
        if queue:
            return Refusal("why_offline_limit", "next_offline_limit", {"max": limit})
        return BUSY

    async def _reclaim(self, session: Session, kind: str, barcode: str) -> OutboxEntry | None:
        """This visit's unconfirmed intent for the copy, taken back to ask again; the store is
        read only when the visit shows one (the patron was told of every such intent)."""
        if not any(doubt.kind == kind and doubt.barcode == barcode for doubt in session.doubts):
            return None
        assert session.patron is not None
        entry = await asyncio.to_thread(self.intents.open_intent, Kind(kind), session.patron.member.id,
                                        barcode, session.id)
        return await self.relay.reclaim(entry) if entry is not None else None

    async def _settle(self, entry: OutboxEntry, asked: Asked, status: Status, told: Told, *,
                      hold: bool = False) -> None:
        """Write what the patron is about to be told, before the screen shows it."""
        result = asked.result
        response = None
        error = None
        if isinstance(result, Ok):
            response = {"status": result.status, "replayed": result.replayed, "body": result.value}
        elif isinstance(result, Refused):
            error = f"{result.code}: {result.message}"
        elif isinstance(result, Busy | InDoubt):
            error = f"{result.service}: {result.reason.value}"
        due = schedule_clock.now() + self.doubt_hold_s if hold else 0.0
        settlement = Settlement(entry.id, status, asked.attempts, error=error, response=response,
                                next_attempt_at=due, told=told)
        await asyncio.to_thread(self.outbox.settle, self.relay.owner, [settlement])

    def _offline_due(self, start: datetime) -> datetime:
        return start + timedelta(days=self.settings.offline_due_days)

    async def _title(self, barcode: str) -> str | None:
        return await asyncio.to_thread(self.read_model.title_for, barcode)

    # -- cancel ----------------------------------------------------------------------------------

    async def cancel(self, session: Session, reservation: MyPageEntry, now: datetime) -> CancelLine:
        """Queue the cancel in the outbox; the central side refunds the reservation's fee."""
        patron = session.patron
        assert patron is not None
        await asyncio.to_thread(self.outbox.append_cancel, reservation.rental_id, reservation.barcode,
                                patron.member.id, now)
        line = CancelLine(reservation.barcode, reservation.title, reservation.fee)
        session.cancels.append(line)
        return line

    # -- renew -----------------------------------------------------------------------------------

    async def renew(self, session: Session, loan: MyPageEntry) -> RenewLine:
        """Renew one loan while the patron waits: online only, through the lending breaker, and
        not an outbox entry (nothing is promised before the answer, so nothing is left to
        deliver). The idempotency key is the same for a second tap after a lost answer, so the
        central side renews once; the key changes after each confirmed renewal."""
        patron = session.patron
        assert patron is not None
        result = _renewals_refused(patron.member) or await self.client.renew(
            patron.member.id, loan.barcode, _renew_key(self.settings.id, session, loan))
        return _record_renewal(session, patron, loan, result)

    async def renew_all(self, session: Session) -> list[RenewLine]:
        """"Renew all": every loan still out, asked in one go through the port (REST renews them
        one by one, SIP2 with one renew all), with an outcome and a reason per loan."""
        patron = session.patron
        assert patron is not None
        returned = {line.barcode for line in session.returns}
        loans = [loan for loan in list(patron.page.loans) if loan.barcode not in returned]
        keys = {loan.barcode: _renew_key(self.settings.id, session, loan) for loan in loans}
        refused = _renewals_refused(patron.member)
        results = dict.fromkeys(keys, refused) if refused else await self.client.renew_all(patron.member.id, keys)
        return [_record_renewal(session, patron, loan, results[loan.barcode]) for loan in loans]

    # -- end of a visit --------------------------------------------------------------------------

    async def end_visit(self, session: Session) -> None:
        """The visit is over: its unconfirmed intents are the agent's to settle now rather than
        after the hold, the central side's session for the patron is ended in the background (the
        next patron never waits for it), and the member's cached view is kept only a grace longer."""
        if session.doubts:
            await asyncio.to_thread(self.outbox.release_visit, session.id)
        if session.patron is None:
            return
        ending = asyncio.create_task(self._end_patron_session(session.patron.member.id))
        self.session_ends.add(ending)
        ending.add_done_callback(self.session_ends.discard)
        try:
            await asyncio.to_thread(self.retention.end_visit, session.patron.member.id, time.time())
        except StoreError as exc:  # the view keeps the expiry it was cached with
            log.error("could not shorten member %d's view to the grace: %s", session.patron.member.id, exc)

    async def _end_patron_session(self, member_id: int) -> None:
        result = await self.client.end_patron_session(member_id)
        if not isinstance(result, Ok):  # best effort: the ACS ends idle sessions by itself
            log.info("the end of member %d's session was not confirmed: %s", member_id, type(result).__name__)

    # -- health ----------------------------------------------------------------------------------

    async def online(self) -> bool:
        return isinstance(await self.client.health(), Ok)


def _status_refusal(member: Member) -> Refusal | None:
    if member.status is MemberStatus.BLOCKED and member.blocks:  # the library said why
        return Refusal("why_card_cannot_borrow", "next_card_cannot_borrow", said=member.said,
                       reasons=reasons(member))
    if member.status is MemberStatus.BLOCKED:
        return Refusal.for_code("member_blocked")
    if member.status is MemberStatus.WITHDRAWN:
        return Refusal.for_code("member_withdrawn")
    return None


def _renewals_refused(member: Member) -> Refused | None:
    """The library system said this card may not renew (its patron status): nothing is asked."""
    if not renewals_stopped(member):
        return None
    return Refused("renewal_denied", "the card may not renew (patron status)", said=member.said)


def _renew_key(kiosk_id: str, session: Session, loan: MyPageEntry) -> str:
    """The same for a second tap after a lost answer; a new one after each confirmed renewal."""
    done = sum(1 for line in session.renewals if line.barcode == loan.barcode and line.renewed)
    return f"{kiosk_id}:{session.id}:renew:{loan.barcode}:{done}"


def _record_renewal(session: Session, patron: Patron, loan: MyPageEntry, result: Result[Rental]) -> RenewLine:
    """The renewal's outcome into the visit, and a new due date into the patron's loans."""
    line = _renew_line(loan, result, patron.member)
    if line.due_at is not None:
        patron.page.loans = [entry.model_copy(update={"due_at": line.due_at, "overdue": False})
                             if entry.barcode == loan.barcode else entry for entry in patron.page.loans]
    session.renewals.append(line)
    log.info("renewal of item %s: %s", loan.barcode, "renewed" if line.renewed else line.why)
    return line


def _renew_line(loan: MyPageEntry, result: Result[Rental], member: Member) -> RenewLine:
    if isinstance(result, Ok):
        return RenewLine(loan.barcode, loan.title, True, result.value.due_at)
    if isinstance(result, Refused):
        why = _RENEWAL_REFUSALS.get(result.code, "renew_no_other")
        because = reasons(member) if result.code == "renewal_denied" else ()
        return RenewLine(loan.barcode, loan.title, False, why=why, said=result.said, reasons=because)
    if isinstance(result, NotFound):
        why = "renew_no_other"
    else:
        why = "renew_busy" if isinstance(result, Busy) else "renew_unconfirmed"
    return RenewLine(loan.barcode, loan.title, False, why=why)


def _title(patron: Patron, barcode: str) -> str | None:
    entry = patron.reservation(barcode) or patron.loan(barcode)
    return entry.title if entry else None


def _fee(entry: OutboxEntry) -> int:
    """The reservation fee an intent's answer carried (what its undo refunds)."""
    answer = entry.answer or {}
    return int(answer.get("fee", 0)) if entry.kind is Kind.RESERVE else 0
