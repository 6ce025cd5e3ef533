"""Undoing what the patron was told did not happen, while a service stays slow: the agent settles a
self-rent in doubt from the rental service's own records (no book management on the way), gives
the loan back to its reservation, claims such intents even behind a held dependency, and tries
undo work again within seconds, whatever its backoff has grown to.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kiosk_data.codes import AVAILABLE, HOLD_READY, ON_LOAN, OVERDUE
from kiosk_testing.waiting import wait_until_async
from sync_agent.agent.dispatch import send
from sync_agent.agent.relay import UNDO_RECHECK_S
from sync_agent.agent.saga import Intents, compensation_for
from sync_agent.central.rest.client import CentralClient
from sync_agent.central.results import InDoubt
from sync_agent.store import schedule_clock
from sync_agent.store.outbox import Kind, Outbox, OutboxEntry, Settlement, Status, Told

from .conftest import Reply, make_settings, queued_rent
from .test_relay import relay_for

KIM, HELD_FOR_KIM = 1, HOLD_READY  # rental 1: item 1 reserved for member 1, fee paid
APP = "app:0:t"
BARCODES = [HOLD_READY, ON_LOAN, OVERDUE, AVAILABLE]


def told_it_does_not_count(outbox: Outbox, barcode: str = HELD_FOR_KIM, attempts: int = 1) -> OutboxEntry:
    """A self-rent the app asked ``attempts`` times without an answer and then told the patron
    does not count, handed to the agent as the end of the visit does."""
    entry = Intents(outbox).begin_rent(KIM, barcode, datetime.now(UTC), visit="v1", owner=APP, lease_s=30)
    assert entry is not None
    outbox.settle(APP, [Settlement(entry.id, Status.PENDING, attempts=attempts, told=Told.UNDO)])
    return outbox.get(entry.id)


async def test_a_loan_in_doubt_is_settled_from_the_rental_records_while_book_management_stays_slower_than_the_agent(
        central, store, outbox, tmp_path) -> None:
    """Book management answers in 1.5 s, slower even than this agent's 1 s timeout, for the whole
    test: a replay of the rent could never be heard. The loan is found in the member's loans and
    put back on hold, the fee kept."""
    central.set_fault("book", latency_ms=(1500, 1500))
    entry = Intents(outbox).begin_rent(KIM, HELD_FOR_KIM, datetime.now(UTC), visit="v1", owner=APP, lease_s=30)
    async with CentralClient(make_settings(tmp_path, central.url), owner="app") as app:
        lost = await send(app, entry)
    assert isinstance(lost, InDoubt)
    outbox.settle(APP, [Settlement(entry.id, Status.PENDING, attempts=1, told=Told.UNDO)])
    await wait_until_async(lambda: central.key_counts().get(entry.key) == 1)  # the central side applied it
    relay = relay_for(store, central.url, tmp_path, background_timeout_ms=1000)
    assert (await relay.drain(20)).empty
    rent = outbox.get(entry.id)
    undo = Intents(outbox).compensation_of(entry.id)
    assert rent.status is Status.DELIVERED and rent.response["replayed"] is True
    assert undo is not None and undo.kind is Kind.UNRENT and undo.status is Status.DELIVERED
    assert central.key_counts() == {entry.key: 1, undo.key: 1}
    [held] = httpx.get(f"{central.url}/rentals", params={"memberId": KIM, "bookId": 1}).json()
    assert (held["status"], held["fee"]) == ("reserved", 1000)
    [payment] = httpx.get(f"{central.url}/payments", params={"memberId": KIM}).json()
    assert payment["status"] == "paid"
    faults = httpx.get(f"{central.url}/admin/faults").json()
    assert faults["book"]["latency_ms"] == [1500, 1500], "still slow at the end"


async def test_a_reservation_in_doubt_is_settled_from_the_rental_records_while_payment_stays_slower_than_the_agent(
        central, store, outbox, tmp_path) -> None:
    """Payment answers in 1.5 s, slower than this agent's 1 s timeout, for the whole test: the
    reservation its lost answer made is found among the member's reservations, cancelled, and
    its fee refunded."""
    central.set_fault("payment", latency_ms=(1500, 1500))
    entry = Intents(outbox).begin_reserve(6, 4, AVAILABLE, datetime.now(UTC), visit="v1", owner=APP, lease_s=30)
    async with CentralClient(make_settings(tmp_path, central.url), owner="app") as app:
        assert isinstance(await send(app, entry), InDoubt)
    outbox.settle(APP, [Settlement(entry.id, Status.PENDING, attempts=1, told=Told.UNDO)])
    await wait_until_async(lambda: central.key_counts().get(entry.key) == 1)
    assert (await relay_for(store, central.url, tmp_path, background_timeout_ms=1000).drain(20)).empty
    undo = Intents(outbox).compensation_of(entry.id)
    assert outbox.get(entry.id).response["replayed"] is True
    assert undo is not None and undo.kind is Kind.CANCEL and undo.status is Status.DELIVERED
    assert [r["status"] for r in httpx.get(f"{central.url}/rentals", params={"memberId": 6}).json()] == ["cancelled"]
    assert [p["status"] for p in httpx.get(f"{central.url}/payments", params={"memberId": 6}).json()] == ["refunded"]


async def test_a_loan_of_the_copy_made_at_another_moment_is_not_taken_for_the_intent(
        central, store, outbox, tmp_path) -> None:
    """The copy is on loan to the member, but not by this intent (made seconds before it, as a loan
    made at the desk or at another visit would be): the member's loans do not settle it; the call under the
    intent's key does (refused: nothing to undo)."""
    earlier = datetime.now(UTC) - timedelta(seconds=5)
    made = httpx.post(f"{central.url}/kiosk/rentals", json={
        "memberId": KIM, "barcode": HELD_FOR_KIM, "kioskNo": "kiosk-07",
        "occurredAt": earlier.isoformat()})
    assert made.status_code == 200
    entry = told_it_does_not_count(outbox)
    assert (await relay_for(store, central.url, tmp_path).drain(10)).empty
    assert outbox.get(entry.id).status is Status.DECLINED and Intents(outbox).compensation_of(entry.id) is None
    [loan] = httpx.get(f"{central.url}/rentals", params={"memberId": KIM, "bookId": 1}).json()
    assert loan["status"] == "rented", "the earlier loan is not undone"


@pytest.mark.parametrize("records", [
    Reply(body=b"<html>not json</html>"),
    Reply(status=502, body=b"<html><h1>502 Bad Gateway</h1></html>", headers={"Content-Type": "text/html"}),
    Reply(truncate_to=5, body=b'[{"id": 1, "memberId": 1}]'),
], ids=["malformed", "proxy-502", "dropped"])
async def test_unreadable_records_leave_the_call_under_its_key_to_settle_it(
        hostile, store, outbox, tmp_path, records) -> None:
    entry = told_it_does_not_count(outbox)
    hostile.queue(records)  # the member's loans; then honest answers
    assert (await relay_for(store, hostile.url, tmp_path).drain(10)).empty
    assert [(seen.method, seen.path.split("?")[0]) for seen in hostile.seen] == [
        ("GET", "/rentals"), ("POST", "/kiosk/rentals"), ("PATCH", "/rentals/2")]
    assert hostile.seen[1].key == entry.key
    undo = Intents(outbox).compensation_of(entry.id)
    assert undo is not None and undo.kind is Kind.UNRENT and undo.status is Status.DELIVERED
    assert hostile.seen[2].body["reqState"] == "kioskunrent"


def test_an_intent_in_doubt_is_claimed_behind_a_held_dependency(outbox) -> None:
    """The lending and payment breakers open: a queued borrow waits, intents in doubt are claimed
    (their first step reads the rental records, neither lending nor payment), a return goes as
    usual."""
    doubted = told_it_does_not_count(outbox)
    queued_rent(outbox, KIM, ON_LOAN, datetime.now(UTC))
    returned = outbox.append_return(OVERDUE, datetime.now(UTC))
    reserve = Intents(outbox).begin_reserve(KIM, 4, AVAILABLE, datetime.now(UTC), visit="v1", owner=APP,
                                   lease_s=30)
    outbox.settle(APP, [Settlement(reserve.id, Status.PENDING, attempts=1, told=Told.UNDO)])
    claimed = outbox.claim("agent:0:t", limit=10, lease_s=30, skip_kinds=[Kind.RENT, Kind.RESERVE])
    assert {entry.id for entry in claimed} == {doubted.id, returned.id, reserve.id}


async def test_undo_work_is_tried_again_within_seconds_whatever_the_backoff(hostile, store, outbox,
                                                                           tmp_path) -> None:
    """Every call times out, and after a dozen tries the backoff would be drawn from up to 60 s:
    intents in doubt and a compensation are tried again within :data:`UNDO_RECHECK_S`, so an undo
    still happens within a minute of the visit's end."""
    hostile.default = Reply(delay_s=0.5)
    relay = relay_for(store, hostile.url, tmp_path, background_timeout_ms=100)
    intents = [told_it_does_not_count(outbox, barcode=code, attempts=12) for code in BARCODES[:3]]
    applied = told_it_does_not_count(outbox, barcode=BARCODES[3])
    outbox.claim_entry(applied.id, APP, 30)
    compensation = compensation_for(applied, {"id": 7}, "kiosk-07", lent_from_hold=True)
    outbox.settle(APP, [Settlement(applied.id, Status.DELIVERED, compensation=compensation)])
    undo = Intents(outbox).compensation_of(applied.id)
    outbox.claim_entry(undo.id, APP, 30)
    outbox.settle(APP, [Settlement(undo.id, Status.PENDING, attempts=12)])
    for entry in [*intents, undo]:
        assert not await relay.deliver_book(entry.barcode or "", 0.5)
        tried = outbox.get(entry.id)
        assert tried.attempts > 12 and tried.next_attempt_at - schedule_clock.now() <= UNDO_RECHECK_S


async def test_an_unrent_whose_answer_was_dropped_is_applied_once(central, store, outbox, tmp_path) -> None:
    """The rental service applies the unrent and cuts the connection before the answer: the agent
    sends it again under its key, the stand-in replays it, and the reservation is back once."""
    now = datetime.now(UTC)
    made = httpx.post(f"{central.url}/kiosk/rentals", json={
        "memberId": KIM, "barcode": HELD_FOR_KIM, "kioskNo": "kiosk-07", "occurredAt": now.isoformat()})
    entry = told_it_does_not_count(outbox)
    outbox.claim_entry(entry.id, APP, 30)
    compensation = compensation_for(entry, made.json(), "kiosk-07", lent_from_hold=True)
    outbox.settle(APP, [Settlement(entry.id, Status.DELIVERED, compensation=compensation)])
    undo = Intents(outbox).compensation_of(entry.id)
    central.set_fault("rental", drop_rate=1.0)
    drained = asyncio.create_task(relay_for(store, central.url, tmp_path).drain(20))
    await wait_until_async(lambda: central.key_counts().get(undo.key) == 1)
    central.clear_faults()
    assert (await drained).empty
    settled = outbox.get(undo.id)
    assert settled.status is Status.DELIVERED and settled.attempts >= 2
    assert settled.response["replayed"] is True, "the second answer was the first one, replayed"
    assert central.key_counts()[undo.key] == 1
    [held] = httpx.get(f"{central.url}/rentals", params={"memberId": KIM, "bookId": 1}).json()
    assert (held["status"], held["fee"]) == ("reserved", 1000)
