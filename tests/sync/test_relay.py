"""The relay against the real stand-in: delivery, order, repeats, dead letters, outages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from kiosk_data.codes import AT_LIMIT_LOAN, AVAILABLE, AVAILABLE_KO, ON_LOAN, OVERDUE
from kiosk_testing.waiting import wait_until_async
from sync_agent.agent.relay import MISMATCH_LIMIT, Relay
from sync_agent.central.rest.client import CentralClient
from sync_agent.store import schedule_clock
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Settlement, Status
from sync_agent.store.status import breaker_recorder, snapshot

from .conftest import RENTAL, Reply, make_settings, queued_rent, rented_barcodes


def relay_for(store: Store, url: str, tmp_path: Path, **overrides) -> Relay:
    """The agent's relay, its breaker states kept in the store as ``kiosk-sync run`` keeps them."""
    settings = make_settings(tmp_path, url, **overrides)
    client = CentralClient(settings, owner="agent")
    client.breakers.report_to(breaker_recorder(store, "agent"))
    return Relay(store, client, settings)


def rentals(central, status: str) -> list[dict]:
    return httpx.get(f"{central.url}/rentals", params={"status": status}).json()


async def test_returns_are_delivered_once_with_the_answer_kept(central, store, outbox, tmp_path) -> None:
    barcodes = rented_barcodes()
    entries = [outbox.append_return(code, datetime.now(UTC) - timedelta(minutes=1)) for code in barcodes]
    relay = relay_for(store, central.url, tmp_path)
    result = await relay.drain(10)
    assert result.empty and result.delivered == len(barcodes) and result.dead == 0
    for entry in entries:
        stored = outbox.get(entry.id)
        assert stored.status is Status.DELIVERED and stored.attempts == 1
        assert stored.response["status"] == 200 and stored.response["body"]["status"] == "returned"
        assert stored.response["body"]["barcode"] == entry.barcode
    assert central.key_counts() == {entry.key: 1 for entry in entries}
    assert {r["barcode"] for r in rentals(central, "returned")} == set(barcodes)
    assert snapshot(store)["counters"]["delivered"] == len(barcodes)
    assert snapshot(store)["last_success_at"] is not None


async def test_entries_of_one_book_go_in_order_and_books_in_parallel(hostile, store, outbox, tmp_path):
    hostile.default = Reply(delay_s=0.1)
    now = datetime.now(UTC)
    books = [ON_LOAN, OVERDUE, AT_LIMIT_LOAN]
    appended = []
    for round_ in range(3):
        for code in books:
            appended.append(outbox.append_return(code, now) if round_ != 1
                            else outbox.append_cancel(9, code, 6, now))
    relay = relay_for(store, hostile.url, tmp_path, relay_parallelism=3)
    assert (await relay.drain(20)).delivered == 9
    by_key = {seen.key: seen for seen in hostile.seen}
    assert len(hostile.seen) == 9
    for code in books:
        mine = [by_key[e.key] for e in appended if e.barcode == code]
        assert all(a.left <= b.arrived for a, b in zip(mine, mine[1:], strict=False))  # one at a time
        assert [s.path for s in mine] == ["/kiosk/returns", "/rentals/9", "/kiosk/returns"]
    in_flight = [sum(other.arrived <= seen.arrived < other.left for other in hostile.seen)
                 for seen in hostile.seen]
    assert max(in_flight) == 3  # the three books went out together once the window had grown


async def test_an_answer_lost_on_the_way_is_resent_and_applied_once(central, store, outbox, tmp_path):
    entry = outbox.append_return(rented_barcodes()[0], datetime.now(UTC))
    central.set_fault("rental", drop_rate=1.0)  # applied, then the connection is cut
    relay = relay_for(store, central.url, tmp_path, breaker_failure_threshold=100)
    first = await relay.drain(0.6)
    assert not first.empty and first.elapsed_s < 5  # the timeout bounds a drain that fails
    pending = outbox.get(entry.id)
    assert pending.status is Status.PENDING and pending.attempts >= 1
    assert pending.last_error.startswith("returns: connection")
    central.clear_faults()
    assert (await relay.drain(10)).empty
    delivered = outbox.get(entry.id)
    assert delivered.status is Status.DELIVERED and delivered.response["replayed"] is True
    assert central.key_counts() == {entry.key: 1}


async def test_a_refusal_becomes_a_dead_letter_with_its_reason(central, store, outbox, tmp_path):
    entry = outbox.append_cancel(2, ON_LOAN, 1, datetime.now(UTC))  # a loan, not a reservation
    relay = relay_for(store, central.url, tmp_path)
    result = await relay.drain(10)
    assert result.empty and result.dead == 1
    dead = outbox.get(entry.id)
    assert dead.status is Status.DEAD and dead.last_error.startswith("not_reserved:")
    assert dead.response == {"status": 409, "code": "not_reserved", "message": dead.response["message"]}
    assert outbox.retry_dead(entry.id) == 1 and outbox.get(entry.id).status is Status.PENDING
    await relay.drain(10)
    assert outbox.get(entry.id).status is Status.DEAD and outbox.get(entry.id).attempts == 2
    assert central.key_counts() == {}  # nothing was applied


async def test_a_return_of_a_copy_not_on_loan_is_declined_not_a_dead_letter(central, store, outbox,
                                                                           tmp_path):
    """Nothing to return (it was returned at the desk, or never lent): nothing for a technician."""
    entry = outbox.append_return(AVAILABLE, datetime.now(UTC))
    result = await relay_for(store, central.url, tmp_path).drain(10)
    assert result.empty and result.dead == 0
    declined = outbox.get(entry.id)
    assert declined.status is Status.DECLINED and declined.last_error.startswith("not_rented:")
    assert central.key_counts() == {}


async def test_retry_after_is_honoured(hostile, store, outbox, tmp_path) -> None:
    hostile.default = Reply(503, b'{"code": "service_down", "message": "down"}',
                            {"Content-Type": "application/json", "Retry-After": "7"})
    entry = outbox.append_return(AVAILABLE, datetime.now(UTC))
    relay = relay_for(store, hostile.url, tmp_path)
    task = asyncio.create_task(relay.run())
    await wait_until_async(lambda: outbox.get(entry.id).attempts == 1
                           and outbox.get(entry.id).status is Status.PENDING)
    await asyncio.sleep(0.5)  # a relay that ignored Retry-After would send again within this
    relay.stop()
    await asyncio.wait_for(task, 5)
    sends = [seen for seen in hostile.seen if seen.path == "/kiosk/returns"]
    assert len(sends) == 1  # not re-sent before the server's 7 seconds
    waiting = outbox.get(entry.id)
    assert waiting.status is Status.PENDING and waiting.next_attempt_at - schedule_clock.now() > 5.5
    assert waiting.last_error == "returns: service_down"


async def test_outage_piles_up_returns_then_every_one_arrives_once(central, store, outbox, tmp_path):
    central.stop()  # the whole central API unreachable
    barcodes = rented_barcodes()
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in barcodes]
    relay = relay_for(store, central.url, tmp_path, breaker_failure_threshold=2, breaker_reset_s=0.4)
    task = asyncio.create_task(relay.run())
    await wait_until_async(lambda: snapshot(store)["breakers"].get("agent", {}).get("returns", {}).get("state")
                           in ("open", "half-open") and (snapshot(store)["oldest_pending_age_s"] or 0) >= 0.9)
    during = snapshot(store)
    assert during["pending"] + during["in_flight"] == len(barcodes) and during["delivered"] == 0
    assert during["breakers"]["agent"]["returns"]["state"] in ("open", "half-open")
    assert during["oldest_pending_age_s"] >= 0.9
    relay.stop()
    await asyncio.wait_for(task, 5)
    assert snapshot(store)["in_flight"] == 0  # a clean stop leaves nothing in flight
    central.start()
    result = await relay.drain(15)
    assert result.empty and result.delivered == len(barcodes)
    assert central.key_counts() == {entry.key: 1 for entry in entries}
    assert {r["barcode"] for r in rentals(central, "returned")} == set(barcodes)
    after = snapshot(store)
    assert after["pending"] == 0 and after["breakers"]["agent"]["returns"]["state"] == "closed"


async def test_returns_still_go_through_while_book_management_is_down(central, store, outbox, tmp_path):
    central.set_fault("book", down=True)
    code = rented_barcodes()[0]
    entry = outbox.append_return(code, datetime.now(UTC))
    relay = relay_for(store, central.url, tmp_path)
    assert (await relay.drain(10)).delivered == 1
    assert central.backlog()["book-status"] >= 1  # the book service catches up later
    assert outbox.get(entry.id).status is Status.DELIVERED
    central.clear_faults()
    book = httpx.get(f"{central.url}/books/{code}").json()
    assert book["status"] == "available"


async def test_deliver_book_sends_the_pending_return_first(central, store, outbox, tmp_path) -> None:
    code = rented_barcodes()[0]
    entry = outbox.append_return(code, datetime.now(UTC))
    relay = relay_for(store, central.url, tmp_path)
    relay_app = Relay(store, relay.client, relay.settings, role="app")
    assert await relay_app.deliver_book(code, 3.0)
    assert outbox.get(entry.id).status is Status.DELIVERED
    assert await relay_app.deliver_book(AVAILABLE_KO, 1.0)  # nothing pending: at once


async def test_deliver_book_waits_for_an_entry_in_flight_elsewhere(hostile, store, outbox, tmp_path):
    code = ON_LOAN
    entry = outbox.append_return(code, datetime.now(UTC))
    other = Outbox(Store.open(store.path), "kiosk-07")
    assert other.claim("agent:1:other", limit=1, lease_s=60)  # the agent process is sending it
    relay = relay_for(store, hostile.url, tmp_path)
    started = time.monotonic()
    assert not await relay.deliver_book(code, 0.3)
    assert 0.3 <= time.monotonic() - started < 1.5
    assert not [s for s in hostile.seen if s.method == "POST"]  # waited, never re-sent
    waiter = asyncio.create_task(relay.deliver_book(code, 5.0))
    await asyncio.sleep(0.1)
    other.settle("agent:1:other", [Settlement(entry.id, Status.DELIVERED, response={"ok": 1})])
    assert await asyncio.wait_for(waiter, 5)
    assert not [s for s in hostile.seen if s.method == "POST"]


async def test_deliver_book_answers_false_at_once_when_the_breaker_is_open(store, outbox, tmp_path):
    code = ON_LOAN
    outbox.append_return(code, datetime.now(UTC))
    relay = relay_for(store, "http://127.0.0.1:9", tmp_path, breaker_failure_threshold=1,
                      breaker_reset_s=60)
    assert not await relay.deliver_book(code, 5.0)  # connection refused opens the breaker
    started = time.monotonic()
    assert not await relay.deliver_book(code, 5.0)
    assert time.monotonic() - started < 1.0
    assert outbox.pending_for(code)[0].status is Status.PENDING


async def start_agent_on_a_slow_reply(hostile, store, outbox, tmp_path, delay_s: float):
    hostile.default = Reply(delay_s=delay_s)
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    relay = relay_for(store, hostile.url, tmp_path, call_timeout_ms=5000)
    task = asyncio.create_task(relay.run())
    await wait_until_async(lambda: hostile.seen, what="the delivery at the server")
    return relay, task, entry


async def test_stop_lets_the_delivery_in_hand_finish(hostile, store, outbox, tmp_path) -> None:
    relay, task, entry = await start_agent_on_a_slow_reply(hostile, store, outbox, tmp_path, 0.4)
    relay.stop()
    await asyncio.wait_for(task, 5)
    assert outbox.get(entry.id).status is Status.DELIVERED
    assert snapshot(store)["in_flight"] == 0


async def test_cancelling_the_agent_gives_its_claims_back(hostile, store, outbox, tmp_path) -> None:
    _, task, entry = await start_agent_on_a_slow_reply(hostile, store, outbox, tmp_path, 2.0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert outbox.get(entry.id).status is Status.PENDING


async def test_refresh_fills_the_catalog_and_member_views(central, store, tmp_path) -> None:
    relay = relay_for(store, central.url, tmp_path)
    page = await relay.client.mypage(1)
    relay.read_model.cache_member_view(page.value)
    assert await relay.refresh_read_model()
    assert relay.read_model.title_for(ON_LOAN) == "The Pragmatic Programmer"
    assert relay.read_model.book(AVAILABLE).status == "available"
    watermark = relay.read_model.catalog_watermark()
    assert watermark is not None
    central.withdraw(AVAILABLE)
    assert await relay.refresh_read_model()
    assert relay.read_model.book(AVAILABLE).status == "withdrawn"
    assert relay.read_model.catalog_watermark() > watermark
    assert json.loads(json.dumps(snapshot(store)))["last_success_at"]


def fill_the_disk(store: Store) -> None:
    """No room left in the file: no new page, and the free bytes of the last pages used up."""
    conn = store.conn
    conn.execute("CREATE TABLE IF NOT EXISTS filler (b BLOB)")
    conn.execute(f"PRAGMA max_page_count={conn.execute('PRAGMA page_count').fetchone()[0]}")
    for size in (4096, 512, 64, 8, 1):
        with contextlib.suppress(sqlite3.OperationalError):
            while True:
                conn.execute("INSERT INTO filler VALUES (zeroblob(?))", (size,))


async def test_a_full_disk_pauses_the_agent_without_losing_anything(hostile, store, outbox, tmp_path,
                                                                    caplog):
    hostile.default = Reply(delay_s=0.2)
    entries = [outbox.append_return(f"300429{index:08d}", datetime.now(UTC)) for index in range(12)]
    relay = relay_for(store, hostile.url, tmp_path)
    relay.store_retry_s = 0.2
    task = asyncio.create_task(relay.run())
    await wait_until_async(lambda: len(hostile.seen) >= 1)
    fill_the_disk(store)  # while the first answer is on its way: it cannot be written back
    await wait_until_async(lambda: "store unusable" in caplog.text)
    assert not task.done()  # the agent waits for room, it does not die
    assert outbox.counts()["delivered"] < 12 and outbox.counts()["in_flight"] == 0  # claims given back
    store.conn.execute("DROP TABLE filler")
    store.conn.execute("PRAGMA max_page_count=1073741823")  # room again
    await wait_until_async(lambda: outbox.counts()["delivered"] == 12, timeout_s=20)
    relay.stop()
    await asyncio.wait_for(task, 5)
    assert all(outbox.get(entry.id).status is Status.DELIVERED for entry in entries)
    keys = {seen.key for seen in hostile.seen if seen.path == "/kiosk/returns"}
    assert keys == {entry.key for entry in entries}  # re-sent with the same keys, none new


async def test_an_unreadable_answer_keeps_the_entry_and_resends_its_key(hostile, store, outbox, tmp_path):
    hostile.queue(Reply(502, b"<html>proxy error</html>", {"Content-Type": "text/html"}),
                  Reply(200, b'{"id": 3, "status": "retur', {}),
                  Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}))
    hostile.default = Reply(200, RENTAL, {"Idempotent-Replayed": "true"})
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    relay = relay_for(store, hostile.url, tmp_path, breaker_failure_threshold=10)
    result = await relay.drain(10)  # three unreadable answers are retried, never lost nor dead
    assert result.delivered == 1 and result.dead == 0
    delivered = outbox.get(entry.id)
    assert delivered.response == {"status": 200, "replayed": True, "body": {
        **json.loads(RENTAL), "holdUntil": None, "rentedAt": None, "dueAt": None, "returnedAt": None,
        "fee": 0}}  # the kept fields of the answer, and only those
    assert delivered.attempts == 4
    assert {seen.key for seen in hostile.seen} == {entry.key} and len(hostile.seen) == 4


async def test_returns_answered_with_another_copys_rental_are_never_delivered(hostile, store, outbox,
                                                                              tmp_path):
    """The review's case: 2 of 2 returns answered 200 with another copy's (and member's) rental were
    marked delivered and never applied. Now each is asked again under its key, then becomes a dead
    letter that says what came back."""
    other = Reply(200, RENTAL.replace(b'"memberId": 1', b'"memberId": 7'))  # item ...022, member 7
    hostile.default = other
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in (OVERDUE, AT_LIMIT_LOAN)]
    result = await relay_for(store, hostile.url, tmp_path, breaker_failure_threshold=100).drain(60)
    assert result.delivered == 0 and result.dead == 2
    for entry in entries:
        dead = outbox.get(entry.id)
        assert dead.status is Status.DEAD and dead.mismatches == MISMATCH_LIMIT
        assert dead.last_error.startswith("mismatched: 5 answers of the library system could not be matched")
        assert f"item 30042000000022, not {entry.barcode}" in dead.last_error
        assert len([seen for seen in hostile.seen if seen.key == entry.key]) == MISMATCH_LIMIT
    assert outbox.retry_dead() == 2 and outbox.get(entries[0].id).mismatches == 0


async def test_a_crossed_answer_then_the_right_one_delivers_with_only_the_kept_fields(hostile, store,
                                                                                      outbox, tmp_path):
    rent = queued_rent(outbox, 3, AVAILABLE, datetime.now(UTC))
    crossed = b'{"id": 9, "memberId": 3, "bookId": 4, "barcode": "30042000000048", "status": "returned"}'
    right = (b'{"id": 9, "memberId": 3, "bookId": 4, "barcode": "30042000000048", "status": "rented", '
             b'"dueAt": "2030-01-15T00:00:00Z", "kioskNo": "kiosk-07", "paymentId": 4, "extra": "'
             + b"x" * 5000 + b'"}')
    hostile.queue(Reply(200, crossed), Reply(200, right))
    result = await relay_for(store, hostile.url, tmp_path).drain(20)
    assert result.delivered == 1
    delivered = outbox.get(rent.id)
    assert delivered.mismatches == 1 and delivered.attempts == 2
    assert set(delivered.answer) == {"id", "memberId", "bookId", "barcode", "status", "holdUntil",
                                     "rentedAt", "dueAt", "returnedAt", "fine", "fee"}
    assert delivered.answer["dueAt"] == "2030-01-15T00:00:00Z"
    assert len(store.rows("SELECT response FROM outbox WHERE id = ?", (rent.id,))[0]["response"]) < 400
