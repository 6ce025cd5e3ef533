"""Every row of the lending saga's table (docs/architecture.md, "The lending saga") through
``Lending`` over :class:`~kiosk_testing.fake_central.FakeCentral`, with the agent's relay on the
same store: for each answer of the central side, what the patron is told, what the outbox keeps of
the intent (``status``, ``told``, its compensation), and what the agent makes of it afterwards
(``saga.settlement``, ``saga.compensation_for``), as the next visit tells it. No socket, no
screen: each test takes milliseconds (the plain borrow is ``test_lending_fake_central.py``; the
same rows against the REST stand-in, ``test_saga_rows_stand_in.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kiosk_app.i18n import fmt_won
from kiosk_app.outcomes import (
    BOOK_UNKNOWN,
    BUSY,
    PAYMENT_BUSY,
    RENT_UNCONFIRMED,
    RESERVE_UNCONFIRMED,
    Offer,
    Outcome,
    Refusal,
)
from kiosk_app.session import Became, BorrowLine, ReserveLine, Session
from kiosk_testing.fake_central import FakeCentral
from sync_agent.agent.saga import settlement
from sync_agent.central.results import Busy, BusyReason, DoubtReason, InDoubt, NotFound, Ok, Refused
from sync_agent.store import schedule_clock
from sync_agent.store.outbox import Kind, Status, Told

from .saga_rig import (
    DUE,
    FEE,
    HELD,
    MEMBER_ID,
    NOW,
    ON_SHELF,
    Records,
    Rig,
    member,
    on_shelf,
    page,
    quote,
)

WAIT_S = 0.5
"""The patron's wait for a borrow's answer (the shortest the settings allow)."""
ONE_TRY = 1.0
"""A call's deadline longer than the patron's wait: each borrow asks once, in milliseconds."""
RETRIES = 0.05
"""A call's deadline that leaves room in the wait for a few calls under the same key."""
GONE_APP = "app:00000000000000000000000000000000:1:1:gone"
"""The claim of an app process that is no more (another boot's)."""
UNREACHABLE = Busy("lending", None, BusyReason.UNREACHABLE)
LOST = InDoubt("rental", DoubtReason.TIMEOUT)


def fake(timeout_s: float = ONE_TRY, **scripts: Any) -> FakeCentral:
    """The member with :data:`HELD` on hold, the copy on the shelf offered at :data:`FEE`."""
    return FakeCentral(timeout_s=timeout_s, member_by_card=[Ok(member())], mypage=[Ok(page())],
                       book=[Ok(on_shelf())], reservation_quote=[Ok(quote())], **scripts)


def over(rig: Callable[..., Rig], central: FakeCentral, **settings: Any) -> Rig:
    """A rig whose app and agent share ``central``; the patron waits :data:`WAIT_S`."""
    return rig(lambda _settings, _owner: central, borrow_wait_s=WAIT_S, **settings)


async def borrow(r: Rig, barcode: str = HELD) -> tuple[Session, Outcome]:
    session = await r.visit()
    return session, await r.lending.borrow(session, barcode, NOW)


async def reserve_and_borrow(r: Rig) -> tuple[Session, Outcome]:
    session, offer = await borrow(r, ON_SHELF)
    assert offer == Offer(on_shelf(), FEE), "the central side's fee, before the patron confirms"
    return session, await r.lending.reserve_and_borrow(session, offer, NOW)


# -- in_flight, asking: written and claimed before the first call ------------------------------


async def test_the_intent_is_on_disk_claimed_by_the_app_and_asking_before_its_first_call(rig) -> None:
    central, records = fake(), Records()
    r = over(rig, central)
    seen = []

    def check_out(command):
        seen.append(r.intent())
        return records.lend(command)

    central.scripts["check_out"] = check_out
    session, told = await borrow(r)
    assert isinstance(told, BorrowLine)
    before, = seen
    assert (before.status, before.told, before.claimed_by) == (Status.IN_FLIGHT, Told.ASKING, r.lending.relay.owner)
    assert before.visit == session.id and before.attempts == 0
    assert central.called("check_out")[0][0].key == before.key


@pytest.mark.parametrize(("answer", "status", "became"), [
    (Records().lend, Status.DELIVERED, Became.RESTORED),
    (Refused("not_reserved", "no hold"), Status.DECLINED, Became.NOT_MADE),
], ids=["applied", "refused"])
async def test_an_intent_left_asking_by_an_app_that_died_is_settled_by_the_agent_as_not_told(
        rig, answer, status, became) -> None:
    """The app died mid-call, so the patron left without a "yes": the agent takes the orphan
    back at once (``recover_orphans``), asks it under its key, and undoes it if it was applied."""
    central = fake(check_out=[answer], unrent=Records().undo)
    r = over(rig, central)
    gone = r.lending.intents.begin_rent(MEMBER_ID, HELD, NOW, visit="gone", owner=GONE_APP, lease_s=300)
    assert gone is not None
    await _settled_as_not_told(r, central, gone.key, status, became)


async def test_an_intent_whose_app_lease_ran_out_is_settled_by_the_agent_as_not_told(rig) -> None:
    """The app still runs but its claim's lease ran out (a call stuck past it): the agent takes
    the intent back by the lease, not the process, and undoes it."""
    central = fake(check_out=Records().lend, unrent=Records().undo)
    r = over(rig, central)
    stuck = r.lending.intents.begin_rent(MEMBER_ID, HELD, NOW, visit="stuck", owner=r.lending.relay.owner,
                                         lease_s=0)
    assert stuck is not None
    await _settled_as_not_told(r, central, stuck.key, Status.DELIVERED, Became.RESTORED)


async def _settled_as_not_told(r: Rig, central: FakeCentral, key: str, status: Status, became: Became) -> None:
    await r.agent_settles()
    intent = r.intent()
    assert (intent.status, intent.told) == (status, Told.ASKING)
    sent, = central.called("check_out")
    assert sent[0].key == key and sent[0].tried_before, "it may have been sent before the app let go"
    undo = r.compensation(intent)
    if status is Status.DELIVERED:
        assert undo is not None and (undo.kind, undo.rental_id, undo.status) == (Kind.UNRENT, 7, Status.DELIVERED)
    else:
        assert undo is None
    assert [e.became for e in await r.earlier()] == [became]


# -- delivered, confirmed: never undone ---------------------------------------------------------


async def test_a_loan_confirmed_by_a_replay_within_the_wait_is_never_undone_by_the_agent(rig) -> None:
    records = Records()
    central = fake(RETRIES, check_out=[records.lost_after_applying(records.lend, DoubtReason.CONNECTION_LOST),
                                       records.lend])
    r = over(rig, central)
    session, told = await borrow(r)
    assert isinstance(told, BorrowLine) and told.due_at == DUE and session.doubts == []
    intent = r.intent()
    assert (intent.status, intent.told, intent.response["replayed"]) == (Status.DELIVERED, Told.CONFIRMED, True)
    await r.lending.end_visit(session)
    await r.agent_settles()
    assert len(central.called("check_out")) == 2 and r.compensation(intent) is None
    assert central.called("unrent") == [] and await r.earlier() == []


async def test_a_confirmed_reservation_is_kept_and_its_loan_follows_at_once(rig) -> None:
    records = Records()
    r = over(rig, fake(reserve=records.reserve, check_out=records.lend))
    session, told = await reserve_and_borrow(r)
    assert isinstance(told, BorrowLine)
    reserved, = session.reservations
    assert reserved == ReserveLine(ON_SHELF, on_shelf().title, FEE, reserved.hold_until)
    for kind in (Kind.RESERVE, Kind.RENT):
        assert (r.intent(kind).status, r.intent(kind).told) == (Status.DELIVERED, Told.CONFIRMED)


async def test_a_confirmed_reservation_is_kept_and_said_so_when_its_loan_is_refused(rig) -> None:
    r = over(rig, fake(reserve=Records().reserve, check_out=[Refused("limit_reached", "5")]))
    session, told = await reserve_and_borrow(r)
    assert told == Refusal("why_limit_reached", "next_reserved_kept", {"fee": fmt_won(FEE)})
    assert len(session.reservations) == 1
    assert r.intent(Kind.RESERVE).told is Told.CONFIRMED and r.intent(Kind.RENT).told is Told.DECLINED


# -- declined, declined: a refusal, or busy before any doubt ------------------------------------


@pytest.mark.parametrize(("answer", "shown"), [
    (Refused("reserved_for_other", "held for another"), Refusal.for_code("reserved_for_other")),
    (NotFound("no such copy"), BOOK_UNKNOWN),
    (Busy("lending", 5.0, BusyReason.SERVICE_DOWN), BUSY),
    (UNREACHABLE, BUSY),
    (Busy("lending", 1.0, BusyReason.RATE_LIMITED), BUSY),
    (Busy("lending", None, BusyReason.NOT_READ), BUSY),
], ids=["refused", "not-found", "service-down", "unreachable", "rate-limited", "not-read"])
async def test_a_no_or_a_busy_before_any_doubt_is_told_at_once_and_left_to_nobody(rig, answer, shown) -> None:
    central = fake(RETRIES, check_out=[answer])
    r = over(rig, central)
    session, told = await borrow(r)
    assert told == shown and session.doubts == [] and session.borrows == []
    intent = r.intent()
    assert (intent.status, intent.told, intent.attempts) == (Status.DECLINED, Told.DECLINED, 1)
    await r.lending.end_visit(session)
    await r.agent_settles()
    assert len(central.called("check_out")) == 1, "asked once, never again by the agent"
    assert await r.earlier() == []


async def test_an_open_breaker_says_busy_without_sending_anything(rig) -> None:
    central = fake(check_out=Records().lend)
    r = over(rig, central)
    session = await r.visit()
    central.breakers["lending"].open()
    told = await r.lending.borrow(session, HELD, NOW)
    assert told == BUSY and central.called("check_out") == []
    assert (r.intent().status, r.intent().told) == (Status.DECLINED, Told.DECLINED)


@pytest.mark.parametrize(("answer", "shown"), [
    (Refused("payment_declined", "card"), Refusal.for_code("payment_declined")),
    (Busy("payment", None, BusyReason.SERVICE_DOWN), PAYMENT_BUSY),
], ids=["refused", "busy"])
async def test_a_reservation_refused_or_busy_is_declined_and_nothing_is_borrowed(rig, answer, shown) -> None:
    central = fake(reserve=[answer])
    r = over(rig, central)
    session, told = await reserve_and_borrow(r)
    assert told == shown and session.reservations == [] and central.called("check_out") == []
    assert (r.intent(Kind.RESERVE).status, r.intent(Kind.RESERVE).told) == (Status.DECLINED, Told.DECLINED)


# -- pending, undo: still in doubt when the wait runs out -----------------------------------------


@pytest.mark.parametrize("reason", list(DoubtReason))
async def test_an_answer_in_doubt_does_not_count_and_is_held_for_the_patron_until_the_visit_ends(
        rig, reason) -> None:
    """Timeout, dropped connection, a proxy's 5xx, an unreadable, oversized or mismatched 2xx:
    never "no". The intent waits for the patron to scan again (``2 x session_timeout_s``), and
    is the agent's as soon as the visit ends."""
    r = over(rig, fake(check_out=[InDoubt("rental", reason)]))
    started = schedule_clock.now()
    session, told = await borrow(r)
    assert told == RENT_UNCONFIRMED and [d.barcode for d in session.doubts] == [HELD]
    intent = r.intent()
    assert (intent.status, intent.told) == (Status.PENDING, Told.UNDO)
    assert intent.next_attempt_at >= started + r.lending.doubt_hold_s == started + 120
    await r.lending.end_visit(session)
    assert r.intent().next_attempt_at == 0, "due for the agent at once"


async def test_an_answer_in_doubt_is_asked_again_under_its_key_while_the_wait_allows(rig) -> None:
    central = fake(RETRIES, check_out=[LOST])
    r = over(rig, central)
    _, told = await borrow(r)
    assert told == RENT_UNCONFIRMED and len(central.called("check_out")) >= 2
    assert {args[0].key for args in central.called("check_out")} == {r.intent().key}
    assert r.intent().attempts == len(central.called("check_out"))


async def test_a_doubt_the_agent_has_not_settled_yet_is_told_as_still_being_checked(rig) -> None:
    r = over(rig, fake(check_out=[LOST]))
    session, _ = await borrow(r)
    await r.lending.end_visit(session)
    assert [e.became for e in await r.earlier()] == [Became.CHECKING]
    assert [e.became for e in await r.earlier()] == [Became.CHECKING], "not final: told again"
    assert r.intent().status is Status.PENDING


async def test_busy_after_a_doubt_is_still_in_doubt_never_nothing_borrowed(rig) -> None:
    central = fake(RETRIES, check_out=[LOST, Busy("lending", None, BusyReason.BREAKER_OPEN)])
    r = over(rig, central)
    _, told = await borrow(r)
    assert told == RENT_UNCONFIRMED and len(central.called("check_out")) >= 2
    assert (r.intent().status, r.intent().told) == (Status.PENDING, Told.UNDO)


async def test_scanning_again_in_the_visit_asks_the_same_intent_and_a_replay_confirms_it(rig) -> None:
    records = Records()
    central = fake(check_out=[records.lost_after_applying(records.lend), records.lend])
    r = over(rig, central)
    session, first = await borrow(r)
    assert first == RENT_UNCONFIRMED
    again = await r.lending.borrow(session, HELD, NOW)
    assert isinstance(again, BorrowLine) and session.doubts == []
    intent = r.intent()
    assert (intent.status, intent.told, intent.attempts) == (Status.DELIVERED, Told.CONFIRMED, 2)
    first_key, second_key = (args[0].key for args in central.called("check_out"))
    assert first_key == second_key == intent.key


async def test_scanning_again_while_still_in_doubt_keeps_one_intent_for_the_agent(rig) -> None:
    r = over(rig, fake(check_out=[LOST]))
    session, first = await borrow(r)
    assert first == await r.lending.borrow(session, HELD, NOW) == RENT_UNCONFIRMED
    intent = r.intent()  # one intent: the second scan asked it again, it began none
    assert (intent.status, intent.told, intent.attempts) == (Status.PENDING, Told.UNDO, 2)


# -- delivered + compensation: the agent finds it was applied -----------------------------------


async def test_a_loan_applied_after_its_answer_was_lost_goes_back_to_its_reservation(rig) -> None:
    """REST: the central side lends only reserved copies, so the undo is an ``unrent`` (the hold
    and its fee kept), told once at the next visit."""
    records = Records()
    central = fake(check_out=[records.lost_after_applying(records.lend), records.lend], unrent=records.undo)
    r = over(rig, central)
    session, told = await borrow(r)
    assert told == RENT_UNCONFIRMED
    await r.lending.end_visit(session)
    await r.agent_settles()
    intent = r.intent()
    assert (intent.status, intent.told, intent.response["replayed"]) == (Status.DELIVERED, Told.UNDO, True)
    undo = r.compensation(intent)
    assert undo is not None and (undo.kind, undo.rental_id, undo.status) == (Kind.UNRENT, 7, Status.DELIVERED)
    assert undo.payload["reqState"] == "kioskunrent" and undo.told is Told.QUEUED
    unrent, = central.called("unrent")
    assert unrent[0].key == undo.key
    assert [e.became for e in await r.earlier()] == [Became.RESTORED]
    assert await r.earlier() == [], "told once"


async def test_a_loan_from_the_shelf_applied_after_its_answer_was_lost_is_returned_as_of_its_start(rig) -> None:
    """SIP2: any copy is lent from the shelf, so the undo is a return dated when the patron acted
    (no fine can come of it)."""
    records = Records()
    central = fake(check_out=[records.lost_after_applying(records.lend), records.lend], check_in=records.undo)
    central.lends_from_shelf = True
    r = over(rig, central)
    session, told = await borrow(r)
    assert told == RENT_UNCONFIRMED
    await r.lending.end_visit(session)
    await r.agent_settles()
    undo = r.compensation(r.intent())
    assert undo is not None and (undo.kind, undo.status, undo.occurred_at) == (Kind.RETURN, Status.DELIVERED, NOW)
    assert central.called("unrent") == [] and len(central.called("check_in")) == 1
    assert [e.became for e in await r.earlier()] == [Became.UNDONE]


async def test_a_reservation_applied_after_its_answer_was_lost_is_cancelled_and_its_fee_refunded(rig) -> None:
    records = Records()
    central = fake(reserve=[records.lost_after_applying(records.reserve), records.reserve], cancel=records.undo)
    r = over(rig, central)
    session, told = await reserve_and_borrow(r)
    assert told == RESERVE_UNCONFIRMED and central.called("check_out") == [], "no loan after a doubt"
    assert (r.intent(Kind.RESERVE).status, r.intent(Kind.RESERVE).told) == (Status.PENDING, Told.UNDO)
    await r.lending.end_visit(session)
    await r.agent_settles()
    undo = r.compensation(r.intent(Kind.RESERVE))
    assert undo is not None and (undo.kind, undo.rental_id, undo.status) == (Kind.CANCEL, 8, Status.DELIVERED)
    earlier, = await r.earlier()
    assert (earlier.kind, earlier.became, earlier.fee) == ("reserve", Became.UNDONE, FEE)


async def test_an_undo_still_under_way_is_told_as_such_and_told_again_once_done(rig) -> None:
    """The agent's rule applied (``saga.settlement``): the intent delivered with its unrent in the
    same transaction; while that unrent waits, the next visit hears "being put back", and the
    visit after the unrent hears it was."""
    records = Records()
    central = fake(check_out=[LOST], unrent=records.undo)
    r = over(rig, central)
    session, _ = await borrow(r)
    await r.lending.end_visit(session)
    applied = settlement(r.intent(), records.lend(central.called("check_out")[0][0]), kiosk_id="kiosk-07",
                         lends_from_shelf=False)
    r.outbox.settle(r.agent.owner, [applied])
    undo = r.compensation(r.intent())
    assert undo is not None and (undo.kind, undo.status) == (Kind.UNRENT, Status.PENDING)
    assert [e.became for e in await r.earlier()] == [Became.RESTORING]
    assert [e.became for e in await r.earlier()] == [Became.RESTORING], "not final: told again"
    await r.agent_settles()
    assert [e.became for e in await r.earlier()] == [Became.RESTORED]


@pytest.mark.parametrize(("kind", "compensation", "refusal"), [
    (Kind.RENT, Kind.UNRENT, Refused("not_rented", "returned at the desk")),
    (Kind.RESERVE, Kind.CANCEL, Refused("not_reserved", "the hold expired")),
], ids=["loan-returned-since", "hold-ended-since"])
async def test_a_compensation_that_finds_nothing_left_to_undo_is_declined_and_told_as_ended(
        rig, kind, compensation, refusal) -> None:
    """The loan was returned at the desk, or the hold ended (expired, or borrowed), before the
    agent's undo: declined, no dead letter, and the patron is not sent to the desk for it."""
    records = Records()
    if kind is Kind.RENT:
        central = fake(check_out=[records.lost_after_applying(records.lend), records.lend], unrent=[refusal])
    else:
        central = fake(reserve=[records.lost_after_applying(records.reserve), records.reserve], cancel=[refusal])
    r = over(rig, central)
    session, _ = await (borrow(r) if kind is Kind.RENT else reserve_and_borrow(r))
    await r.lending.end_visit(session)
    await r.agent_settles()
    undo = r.compensation(r.intent(kind))
    assert undo is not None and (undo.kind, undo.status) == (compensation, Status.DECLINED)
    assert r.outbox.dead_letters() == []
    earlier, = await r.earlier()
    assert (earlier.kind, earlier.became) == (kind.value, Became.ENDED)


# -- declined, undo: the agent finds it was never applied ----------------------------------------


async def test_a_loan_in_doubt_the_central_side_then_refuses_was_never_made_and_is_told_so(rig) -> None:
    """The answer was lost before the central side acted; by the agent's call the hold has run
    out, so it refuses: nothing to undo, nothing for a technician, "never recorded" next visit."""
    central = fake(check_out=[LOST, Refused("not_reserved", "the hold expired")])
    r = over(rig, central)
    session, _ = await borrow(r)
    await r.lending.end_visit(session)
    await r.agent_settles()
    intent = r.intent()
    assert (intent.status, intent.told) == (Status.DECLINED, Told.UNDO)
    assert r.compensation(intent) is None and r.outbox.dead_letters() == []
    assert {args[0].key for args in central.called("check_out")} == {intent.key}
    assert [e.became for e in await r.earlier()] == [Became.NOT_MADE]


# -- pending, queued: the library lets a borrow wait for the central side ------------------------


@pytest.mark.parametrize("answer", [UNREACHABLE, LOST], ids=["unreachable", "in-doubt"])
async def test_with_offline_checkout_a_borrow_is_saved_and_delivered_forward_by_the_agent(rig, answer) -> None:
    records = Records()
    central = fake(check_out=[answer, records.lend])
    r = over(rig, central, offline_checkout="allow")
    session, told = await borrow(r)
    assert isinstance(told, BorrowLine) and told.queued
    assert told.due_at == NOW + timedelta(days=r.settings.offline_due_days), "the offline loan period"
    assert (r.intent().status, r.intent().told) == (Status.PENDING, Told.QUEUED)
    await r.lending.end_visit(session)
    await r.agent_settles()
    intent = r.intent()
    assert (intent.status, intent.told) == (Status.DELIVERED, Told.QUEUED) and r.compensation(intent) is None
    assert await r.earlier() == []


async def test_a_saved_borrow_the_central_side_refuses_is_a_dead_letter_told_at_the_next_visit(rig) -> None:
    central = fake(check_out=[UNREACHABLE, Refused("limit_reached", "5")])
    r = over(rig, central, offline_checkout="allow")
    session, _ = await borrow(r)
    await r.lending.end_visit(session)
    await r.agent_settles()
    dead, = r.outbox.dead_letters()
    assert (dead.id, dead.told) == (r.intent().id, Told.QUEUED)
    assert [e.became for e in await r.earlier()] == [Became.SEE_DESK]
    assert await r.earlier() == [], "told once"


async def test_borrows_saved_offline_stop_at_the_limit_and_the_next_is_declined(rig) -> None:
    central = fake(check_out=[UNREACHABLE])
    central.lends_from_shelf = True  # any copy may be borrowed: two of them
    r = over(rig, central, offline_checkout="allow", offline_max_items=1)
    session, first = await borrow(r)
    second = await r.lending.borrow(session, ON_SHELF, NOW)
    assert isinstance(first, BorrowLine) and first.queued
    assert second == Refusal("why_offline_limit", "next_offline_limit", {"max": 1})
    assert [entry.told for entry in reversed(r.outbox.recent(10))] == [Told.QUEUED, Told.DECLINED]


@pytest.mark.parametrize(("answer", "shown", "told"), [
    (UNREACHABLE, BUSY, Told.DECLINED), (LOST, RENT_UNCONFIRMED, Told.UNDO)], ids=["unreachable", "in-doubt"])
async def test_a_central_side_that_cannot_send_stored_checkouts_saves_no_borrow(rig, answer, shown, told) -> None:
    """SIP2: the agent never knows the patron's barcode, so ``offline_checkout = "allow"`` lends
    nothing offline."""
    central = fake(check_out=[answer])
    central.sends_stored_checkouts = False
    r = over(rig, central, offline_checkout="allow")
    _, told_now = await borrow(r)
    assert told_now == shown and r.intent().told is told
