"""The rows of the lending saga's table (docs/architecture.md, "The lending saga") through
``Lending`` over the REST client and the stand-in (real HTTP on 127.0.0.1, its faults on demand),
with the agent's relay (its own client, the agent's deadline) on the same store: what the patron is
told, what the outbox keeps, and what the central side's own records hold once the agent has
settled. No screen and no Pilot; faults that answer at once (a refusal, a service down, a dropped
connection, a 500), so each test takes a fraction of a second. The scripted version of every row,
with the answers the stand-in cannot give (malformed, oversized, mismatched), is
``test_saga_rows_fake_central.py``; the same stories through the screens, ``test_saga.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kiosk_app.outcomes import BUSY, RENT_UNCONFIRMED, RESERVE_UNCONFIRMED, Offer, Refusal
from kiosk_app.session import Became, BorrowLine
from kiosk_data.codes import AVAILABLE, CHOI, HOLD_READY, KIM, OTHERS_HOLD
from sync_agent.central.adapters import make_central
from sync_agent.store.outbox import Kind, Status, Told

from .conftest import PATRON_DEADLINE_MS, central_get
from .saga_rig import Rig

KIM_ID, CHOI_ID = 1, 6
HELD_FOR_KIM = 1
"""The book id of ``HOLD_READY``: reserved for KIM, its 1,000 won fee paid."""


def over(rig: Callable[..., Rig], central: Any, **settings: Any) -> Rig:
    """A rig on the stand-in, the patron acting now (its holds run from then). A patron's call
    may take :data:`PATRON_DEADLINE_MS` (a loaded machine), longer than the 0.5 s wait, so each
    borrow asks once."""
    return rig(lambda s, owner: make_central(s, owner=owner), datetime.now(UTC), api_url=central.url,
               call_timeout_ms=PATRON_DEADLINE_MS, borrow_wait_s=0.5, **settings)


async def borrow(r: Rig, card: str = KIM, barcode: str = HOLD_READY) -> tuple[Any, Any]:
    session = await r.visit(card)
    return session, await r.lending.borrow(session, barcode, r.now)


def rentals(central: Any, member_id: int, **params: Any) -> list[tuple[str, int]]:
    """The member's rentals at the central side: (status, fee) each."""
    return [(r["status"], r["fee"]) for r in central_get(central, "/rentals", memberId=member_id, **params)]


async def test_a_confirmed_loan_is_made_once_and_never_undone(rig, central) -> None:
    r = over(rig, central)
    session, told = await borrow(r)
    assert isinstance(told, BorrowLine) and not told.queued
    intent = r.intent()
    assert (intent.status, intent.told) == (Status.DELIVERED, Told.CONFIRMED)
    await r.lending.end_visit(session)
    await r.agent_settles()
    assert r.compensation(intent) is None and central.key_counts() == {intent.key: 1}
    assert rentals(central, KIM_ID, bookId=HELD_FOR_KIM) == [("rented", 1000)]


async def test_a_refusal_is_told_in_words_and_nothing_is_left_to_settle(rig, central) -> None:
    r = over(rig, central)
    session, told = await borrow(r, barcode=OTHERS_HOLD)
    assert told == Refusal.for_code("reserved_for_other")
    assert (r.intent().status, r.intent().told) == (Status.DECLINED, Told.DECLINED)
    await r.lending.end_visit(session)
    await r.agent_settles()
    assert r.outbox.dead_letters() == [] and await r.earlier() == []


async def test_book_management_down_is_busy_at_once_and_nothing_was_applied(rig, central) -> None:
    r = over(rig, central)
    session = await r.visit()
    central.set_fault("book", down=True)
    assert await r.lending.borrow(session, HOLD_READY, r.now) == BUSY
    assert (r.intent().status, r.intent().told, r.intent().attempts) == (Status.DECLINED, Told.DECLINED, 1)
    assert central.key_counts() == {}


async def test_an_open_lending_breaker_is_busy_without_a_request(rig, central) -> None:
    r = over(rig, central)
    session = await r.visit()
    r.central.breakers["lending"].open()
    assert await r.lending.borrow(session, HOLD_READY, r.now) == BUSY
    assert r.intent().told is Told.DECLINED and central.key_counts() == {}
    assert rentals(central, KIM_ID, bookId=HELD_FOR_KIM) == [("reserved", 1000)]


async def test_a_loan_whose_connection_dropped_after_it_was_made_goes_back_to_its_reservation(
        rig, central) -> None:
    r = over(rig, central)
    session = await r.visit()
    central.set_fault("rental", drop_rate=1.0)
    assert await r.lending.borrow(session, HOLD_READY, r.now) == RENT_UNCONFIRMED
    assert (r.intent().status, r.intent().told) == (Status.PENDING, Told.UNDO)
    central.clear_faults()  # (the records are read through the rental service too)
    assert rentals(central, KIM_ID, bookId=HELD_FOR_KIM) == [("rented", 1000)], "applied, answer lost"
    await r.lending.end_visit(session)
    await r.agent_settles()
    intent = r.intent()
    undo = r.compensation(intent)
    assert intent.status is Status.DELIVERED and undo is not None
    assert (undo.kind, undo.status) == (Kind.UNRENT, Status.DELIVERED)
    assert central.key_counts() == {intent.key: 1, undo.key: 1}
    assert rentals(central, KIM_ID, bookId=HELD_FOR_KIM) == [("reserved", 1000)], "held again, fee kept"
    assert [e.became for e in await r.earlier()] == [Became.RESTORED]


async def test_scanning_again_after_a_dropped_connection_confirms_the_loan_made_once(rig, central) -> None:
    r = over(rig, central)
    session = await r.visit()
    central.set_fault("rental", drop_rate=1.0)
    assert await r.lending.borrow(session, HOLD_READY, r.now) == RENT_UNCONFIRMED
    central.clear_faults()
    assert isinstance(await r.lending.borrow(session, HOLD_READY, r.now), BorrowLine)
    intent = r.intent()
    assert (intent.status, intent.told) == (Status.DELIVERED, Told.CONFIRMED)
    assert central.key_counts() == {intent.key: 1}
    await r.lending.end_visit(session)
    await r.agent_settles()
    assert r.compensation(intent) is None
    assert rentals(central, KIM_ID, bookId=HELD_FOR_KIM) == [("rented", 1000)]


async def test_a_loan_lost_before_it_was_made_whose_hold_then_ran_out_was_never_made(rig, central) -> None:
    """A 500 from the rental service: in doubt for the kiosk, though nothing was applied. By the
    agent's call the hold has expired, so the central side refuses: declined, told "never
    recorded" at the next visit."""
    r = over(rig, central)
    session = await r.visit()
    central.set_fault("rental", error_rate=1.0)
    assert await r.lending.borrow(session, HOLD_READY, r.now) == RENT_UNCONFIRMED
    assert central.key_counts() == {}
    central.clear_faults()
    central.advance_clock(30 * 86400)
    await r.lending.end_visit(session)
    await r.agent_settles()
    intent = r.intent()
    assert (intent.status, intent.told) == (Status.DECLINED, Told.UNDO) and r.compensation(intent) is None
    assert r.outbox.dead_letters() == [] and central.key_counts() == {}
    assert [e.became for e in await r.earlier()] == [Became.NOT_MADE]


async def test_a_reservation_whose_answer_was_lost_is_cancelled_and_refunded(rig, central) -> None:
    r = over(rig, central)
    session, offer = await borrow(r, CHOI, AVAILABLE)
    assert isinstance(offer, Offer) and offer.fee == 1000
    central.set_fault("payment", drop_rate=1.0)
    assert await r.lending.reserve_and_borrow(session, offer, r.now) == RESERVE_UNCONFIRMED
    central.clear_faults()
    assert [p["status"] for p in central_get(central, "/payments", memberId=CHOI_ID)] == ["paid"]
    await r.lending.end_visit(session)
    await r.agent_settles()
    reserve = r.intent(Kind.RESERVE)
    undo = r.compensation(reserve)
    assert undo is not None and (undo.kind, undo.status) == (Kind.CANCEL, Status.DELIVERED)
    assert rentals(central, CHOI_ID) == [("cancelled", 1000)]
    assert [p["status"] for p in central_get(central, "/payments", memberId=CHOI_ID)] == ["refunded"]
    earlier, = await r.earlier(CHOI)
    assert (earlier.kind, earlier.became, earlier.fee) == ("reserve", Became.UNDONE, 1000)


async def test_with_offline_checkout_a_borrow_while_the_central_side_is_away_is_delivered_later(
        rig, central) -> None:
    r = over(rig, central, offline_checkout="allow")
    session = await r.visit()
    central.stop()
    told = await r.lending.borrow(session, HOLD_READY, r.now)
    assert isinstance(told, BorrowLine) and told.queued
    assert (r.intent().status, r.intent().told) == (Status.PENDING, Told.QUEUED)
    central.start()
    await r.lending.end_visit(session)
    await r.agent_settles()
    intent = r.intent()
    assert (intent.status, intent.told) == (Status.DELIVERED, Told.QUEUED) and r.compensation(intent) is None
    assert central.key_counts() == {intent.key: 1}
    assert rentals(central, KIM_ID, bookId=HELD_FOR_KIM) == [("rented", 1000)]
