"""The borrow saga of ``Lending`` over ``kiosk_testing.fake_central.FakeCentral``: no stand-in, no
socket, no screen. What the patron is told and what the outbox keeps of the intent, per answer
of the central side (the saga table in docs/architecture.md), in milliseconds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk_app.composition import build_kiosk
from kiosk_app.lending import BUSY, RENT_UNCONFIRMED, Lending, Refusal
from kiosk_app.session import BorrowLine, Session, new_session_id
from kiosk_testing.fake_central import FakeCentral
from sync_agent.central.port import Command
from sync_agent.central.results import Busy, BusyReason, DoubtReason, InDoubt, Ok, Refused
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Kind, OutboxEntry, Status, Told
from sync_agent.store.status import breaker_states
from sync_agent.wire.rest import Member, MemberStatus, MyPage, MyPageEntry, Rental, RentalStatus

CARD, MEMBER_ID, BARCODE = "20042000000016", 1, "30042000000014"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=14)


def _member() -> Member:
    return Member(id=MEMBER_ID, card_number=CARD, name="김도서", status=MemberStatus.ACTIVE,
                  loan_limit=5, fines=0)


def _page() -> MyPage:
    held = MyPageEntry(rental_id=7, book_id=1, barcode=BARCODE, title="채식주의자",
                       status=RentalStatus.RESERVED, hold_until=NOW + timedelta(days=3))
    return MyPage(member_id=MEMBER_ID, name="김도서", fines=0, reservations=[held], loans=[], as_of=NOW)


def _loan(command: Command) -> Ok[dict]:
    rental = Rental(id=7, member_id=MEMBER_ID, book_id=1, barcode=BARCODE, status=RentalStatus.RENTED,
                    rented_at=command.occurred_at, due_at=DUE, kiosk_no="kiosk-07")
    return Ok(rental.model_dump(mode="json", by_alias=True), 201)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    yield opened
    opened.close()


def _lending(tmp_path: Path, store: Store, central: FakeCentral) -> Lending:
    settings = Settings(id="kiosk-07", data_dir=tmp_path / "kiosk", borrow_wait_s=0.5)
    return build_kiosk(settings, store, central, with_devices=False).lending


async def _borrow(lending: Lending) -> tuple[object, OutboxEntry]:
    session = Session(new_session_id(NOW), NOW)
    assert not isinstance(await lending.open_member(session, CARD, NOW), Refusal)
    told = await lending.borrow(session, BARCODE, NOW)
    entry, = lending.outbox.recent(10)
    return told, entry


def _central(**check_out) -> FakeCentral:
    """A member with ``BARCODE`` on hold; calls that take 50 ms at most, so the patron's wait
    (0.5 s) has room to ask an intent in doubt again."""
    return FakeCentral(timeout_s=0.05, member_by_card=[Ok(_member())], mypage=[Ok(_page())], **check_out)


async def test_a_confirmed_loan_is_shown_with_its_due_date_and_kept(tmp_path: Path, store: Store) -> None:
    central = _central(check_out=_loan)
    told, entry = await _borrow(_lending(tmp_path, store, central))
    assert isinstance(told, BorrowLine) and told.due_at == DUE and not told.queued
    assert (entry.kind, entry.status, entry.told) == (Kind.RENT, Status.DELIVERED, Told.CONFIRMED)
    command, = (args[0] for args in central.called("check_out"))
    assert (command.key, command.member_id, command.barcode) == (entry.key, MEMBER_ID, BARCODE)


async def test_a_refusal_is_told_in_words_and_declines_the_intent(tmp_path: Path, store: Store) -> None:
    told, entry = await _borrow(_lending(tmp_path, store, _central(check_out=[Refused("limit_reached", "5")])))
    assert told == Refusal.for_code("limit_reached")
    assert (entry.status, entry.told) == (Status.DECLINED, Told.DECLINED)


async def test_busy_before_any_doubt_says_nothing_was_borrowed(tmp_path: Path, store: Store) -> None:
    busy = Busy("lending", None, BusyReason.SERVICE_DOWN)
    central = _central(check_out=[busy])
    told, entry = await _borrow(_lending(tmp_path, store, central))
    assert told == BUSY and len(central.called("check_out")) == 1
    assert (entry.status, entry.told) == (Status.DECLINED, Told.DECLINED)


async def test_an_answer_still_in_doubt_when_the_wait_ends_does_not_count_and_waits_for_undo(
        tmp_path: Path, store: Store) -> None:
    central = _central(check_out=[InDoubt("rental", DoubtReason.TIMEOUT)])
    told, entry = await _borrow(_lending(tmp_path, store, central))
    assert told == RENT_UNCONFIRMED and len(central.called("check_out")) >= 2  # asked again under its key
    assert {args[0].key for args in central.called("check_out")} == {entry.key}
    assert (entry.status, entry.told) == (Status.PENDING, Told.UNDO)


async def test_a_late_confirmation_within_the_wait_is_a_loan(tmp_path: Path, store: Store) -> None:
    central = _central(check_out=[InDoubt("rental", DoubtReason.CONNECTION_LOST), _loan])
    told, entry = await _borrow(_lending(tmp_path, store, central))
    assert isinstance(told, BorrowLine) and entry.told is Told.CONFIRMED
    assert len(central.called("check_out")) == 2


async def test_the_app_s_breaker_states_are_kept_in_the_store_by_the_composition_root(
        tmp_path: Path, store: Store) -> None:
    central = _central()
    _lending(tmp_path, store, central)
    central.breakers["lending"].open()
    assert breaker_states(store)["app"]["lending"]["state"] == "open"
