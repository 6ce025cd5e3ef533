"""A ``Lending`` on a store on disk over a central port, with the agent's relay on the same store.

The lending saga's use-case tests (``test_saga_rows_fake_central.py`` over
:class:`~kiosk_testing.fake_central.FakeCentral`, ``test_saga_rows_stand_in.py`` over the REST
stand-in) drive a visit and the agent directly, with no screen and no Pilot, so that every row of
the saga table in docs/architecture.md runs in milliseconds. :class:`Records` is the central side's
memory in the fake: what each idempotency key made, so a repeat is answered as a replay, as the
real central side does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk_app.lending import Lending
from kiosk_app.session import Earlier, Patron, Session
from sync_agent.agent.relay import Relay
from sync_agent.central.port import Central, Command
from sync_agent.central.results import DoubtReason, InDoubt, Ok
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Kind, OutboxEntry
from sync_agent.wire.rest import (
    Book,
    BookStatus,
    Member,
    MemberStatus,
    MyPage,
    MyPageEntry,
    Rental,
    RentalStatus,
    ReservationQuote,
)

CARD, MEMBER_ID = "20042000000016", 1
HELD, HELD_BOOK_ID = "30042000000014", 1
"""A copy reserved for the member (its reservation is rental 7): a borrow of it is a self-rent."""
ON_SHELF, ON_SHELF_BOOK_ID = "30042000000048", 4
"""An available copy: offered for reserve-and-borrow at :data:`FEE`."""
FEE = 1000
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=14)

CentralFor = Callable[[Settings, str], Central]
"""The central port of a rig's process: ``(settings, "app" | "agent")``."""


def member() -> Member:
    return Member(id=MEMBER_ID, card_number=CARD, name="김도서", status=MemberStatus.ACTIVE,
                  loan_limit=5, fines=0)


def page() -> MyPage:
    held = MyPageEntry(rental_id=7, book_id=HELD_BOOK_ID, barcode=HELD, title="채식주의자",
                       status=RentalStatus.RESERVED, hold_until=NOW + timedelta(days=3), fee=FEE)
    return MyPage(member_id=MEMBER_ID, name="김도서", fines=0, reservations=[held], loans=[], as_of=NOW)


def on_shelf() -> Book:
    return Book(id=ON_SHELF_BOOK_ID, barcode=ON_SHELF, isbn="9788936433673", title="소년이 온다",
                author="한강", status=BookStatus.AVAILABLE, updated_at=NOW)


def quote() -> ReservationQuote:
    return ReservationQuote(member_id=MEMBER_ID, book_id=ON_SHELF_BOOK_ID, fee=FEE)


class Records:
    """What the fake central side has applied, by idempotency key: the first call of a key makes
    a rental, any later one replays it (``Ok.replayed``)."""

    def __init__(self) -> None:
        self.made: dict[str, dict[str, Any]] = {}

    def lend(self, command: Command) -> Ok[dict[str, Any]]:
        """A self-rent of the held copy: the loan made from its reservation."""
        return self._make(command, Rental(
            id=7, member_id=MEMBER_ID, book_id=HELD_BOOK_ID, barcode=command.barcode or HELD,
            status=RentalStatus.RENTED, rented_at=command.occurred_at, due_at=DUE, fee=FEE,
            kiosk_no="kiosk-07"))

    def reserve(self, command: Command) -> Ok[dict[str, Any]]:
        """A reservation of the copy on the shelf, its fee paid."""
        return self._make(command, Rental(
            id=8, member_id=MEMBER_ID, book_id=ON_SHELF_BOOK_ID, barcode=ON_SHELF,
            status=RentalStatus.RESERVED, reserved_at=command.occurred_at,
            hold_until=command.occurred_at + timedelta(days=3), fee=FEE, kiosk_no="kiosk-07"))

    def undo(self, command: Command) -> Ok[dict[str, Any]]:
        """A compensation (unrent, cancel, return) applied to the rental it names."""
        status = {"cancel": RentalStatus.CANCELLED, "kioskunrent": RentalStatus.RESERVED}.get(
            command.body.get("reqState", ""), RentalStatus.RETURNED)
        return self._make(command, Rental(
            id=command.rental_id or 7, member_id=command.member_id or MEMBER_ID, book_id=HELD_BOOK_ID,
            barcode=command.barcode or HELD, status=status, fee=FEE))

    def lost_after_applying(self, apply: Callable[[Command], Ok[dict[str, Any]]],
                            reason: DoubtReason = DoubtReason.TIMEOUT) -> Callable[[Command], InDoubt]:
        """A script answer: the central side applies the command, then its answer is lost."""
        def answer(command: Command) -> InDoubt:
            apply(command)
            return InDoubt("rental", reason)
        return answer

    def _make(self, command: Command, rental: Rental) -> Ok[dict[str, Any]]:
        replayed = command.key in self.made
        body = self.made.setdefault(command.key, rental.model_dump(mode="json", by_alias=True))
        return Ok(body, 200 if replayed else 201, replayed=replayed)


class Rig:
    """The app's ``Lending`` (relay role ``app``) and the agent's relay over one store; the agent
    has its own central port (the same fake, or a client with the agent's deadline)."""

    def __init__(self, settings: Settings, central_for: CentralFor, now: datetime = NOW) -> None:
        self.settings = settings
        self.now = now
        """When the patron acts (a stand-in's holds run from it: its own clock's time)."""
        self.store = Store.open(settings.db_path)
        self.central = central_for(settings, "app")
        self.agent_central = central_for(settings, "agent")
        self.lending = Lending(settings, self.store, self.central,
                               Relay(self.store, self.central, settings, role="app"))
        self.agent = Relay(self.store, self.agent_central, settings, role="agent")
        self.outbox = self.lending.outbox
        self._visits = itertools.count()
        """Each visit's number: the rig's visits all happen at ``now``, where the kiosk's own ids
        (the time and two random digits) would be the same one time in a hundred."""

    async def visit(self, card: str = CARD) -> Session:
        """A new visit with the member signed in (the card accepted)."""
        session = Session(f"{self.now:%y%m%d%H%M%S}{next(self._visits):02d}", self.now)
        patron = await self.lending.open_member(session, card, self.now)
        assert isinstance(patron, Patron), patron
        return session

    async def earlier(self, card: str = CARD) -> list[Earlier]:
        """What the member screen of the next visit tells of earlier visits' intents."""
        session = await self.visit(card)
        assert session.patron is not None
        return session.patron.earlier

    def intent(self, kind: Kind = Kind.RENT) -> OutboxEntry:
        """The one intent of ``kind`` in the outbox, as it is now."""
        found, = (entry for entry in self.outbox.recent(100)
                  if entry.kind is kind and entry.compensates is None)
        return found

    def compensation(self, entry: OutboxEntry) -> OutboxEntry | None:
        return self.lending.intents.compensation_of(entry.id)

    async def agent_settles(self) -> None:
        """The agent delivers everything it may, as ``kiosk-sync drain`` does; nothing left open."""
        drained = await self.agent.drain(10)
        assert drained.empty, drained

    async def close(self) -> None:
        await self.central.aclose()
        await self.agent_central.aclose()
        self.store.close()
