"""The central client against the real stand-in (and a hostile server for what it never sends)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_data.codes import AVAILABLE, HOLD_READY, KIM, ON_LOAN
from sync_agent.agent.dispatch import send
from sync_agent.agent.saga import Intents
from sync_agent.central.rest.client import Busy, CentralClient, InDoubt, NotFound, Ok, Refused, parse_retry_after
from sync_agent.central.results import BusyReason, DoubtReason
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Settlement, Status, Told
from sync_agent.store.status import breaker_recorder, breaker_states
from sync_agent.wire.rest import BookStatus, Circulation, MemberStatus

from .conftest import Reply, make_settings


async def test_typed_answers_from_the_stand_in(central, tmp_path: Path) -> None:
    async with CentralClient(make_settings(tmp_path, central.url)) as client:
        health = await client.health()
        assert isinstance(health, Ok) and health.value.services["book"] == "up"
        member = await client.member_by_card(KIM)
        assert isinstance(member, Ok) and member.value.id == 1
        assert member.value.status is MemberStatus.ACTIVE
        assert isinstance(await client.member_by_card("20042000009999"), NotFound)
        page = await client.mypage(1)
        assert isinstance(page, Ok) and {e.barcode for e in page.value.loans} >= {ON_LOAN}
        book = await client.book(ON_LOAN)
        assert isinstance(book, Ok) and book.value.status is BookStatus.RENTED
        delta = await client.books_since(None)
        assert isinstance(delta, Ok) and len(delta.value.books) >= 10
        item = await client.item_state(ON_LOAN)
        assert isinstance(item, Ok) and item.value.circulation is Circulation.ON_LOAN
        assert item.value.due_at is not None
        held = await client.item_state(HOLD_READY)
        assert isinstance(held, Ok) and held.value.circulation is Circulation.ON_HOLD
        quote = await client.reservation_quote(6, 4)
        assert isinstance(quote, Ok) and quote.value.fee == 1000
        assert isinstance(await client.reservation_quote(6, 999), NotFound)


def rent(outbox: Outbox, member_id: int, barcode: str):
    return Intents(outbox).begin_rent(member_id, barcode, datetime.now(UTC), visit="v", owner="test", lease_s=30)


async def test_rent_refusals_and_idempotent_repeat(central, tmp_path: Path, outbox: Outbox) -> None:
    async with CentralClient(make_settings(tmp_path, central.url)) as client:
        other = rent(outbox, 2, HOLD_READY)
        refused = await send(client, other)
        assert isinstance(refused, Refused) and refused.code == "reserved_for_other"
        outbox.settle("test", [Settlement(other.id, Status.DECLINED, told=Told.DECLINED)])
        intent = rent(outbox, 1, HOLD_READY)  # the copy's earlier intent is settled
        rented = await send(client, intent)
        assert isinstance(rented, Ok) and rented.value["dueAt"] is not None and not rented.replayed
        again = await send(client, intent)
        assert isinstance(again, Ok) and again.replayed and again.value["id"] == rented.value["id"]
        reserve = Intents(outbox).begin_reserve(3, 4, AVAILABLE, datetime.now(UTC), visit="v",
                                       owner="test", lease_s=30)  # a blocked member
        refused = await send(client, reserve)
        assert isinstance(refused, Refused) and refused.code == "member_blocked"
    assert central.key_counts()[intent.key] == 1


async def test_a_down_service_is_busy_with_its_retry_after(central, tmp_path: Path,
                                                         outbox: Outbox) -> None:
    central.set_fault("book", down=True, retry_after=9)
    async with CentralClient(make_settings(tmp_path, central.url)) as client:
        busy = await client.book(ON_LOAN)
        assert isinstance(busy, Busy) and busy.service == "catalog" and busy.retry_after_s == 9
        assert busy.reason is BusyReason.SERVICE_DOWN
        rented = await send(client, rent(outbox, 1, HOLD_READY))
        assert isinstance(rented, Busy) and rented.service == "lending"
    assert central.key_counts() == {}, "the central side's own 503 means nothing was applied"


async def test_a_slow_service_times_out_at_the_call_timeout(central, tmp_path: Path) -> None:
    central.set_fault("rental", latency_ms=(900, 900))
    async with CentralClient(make_settings(tmp_path, central.url, call_timeout_ms=200)) as client:
        started = time.perf_counter()
        busy = await client.member_by_card(KIM)
        assert isinstance(busy, InDoubt) and busy.reason is DoubtReason.TIMEOUT
        assert time.perf_counter() - started < 0.85  # gave up before the answer came


async def test_the_agent_waits_for_a_service_slower_than_the_patrons_timeout(central, tmp_path: Path) -> None:
    """Book management answering in 700-800 ms: the app's call (a patron waits) gives up at the
    610 ms timeout, the agent's (nobody waits) hears the answer."""
    central.set_fault("book", latency_ms=(700, 800))
    settings = make_settings(tmp_path, central.url)
    async with CentralClient(settings, owner="app") as app, CentralClient(settings, owner="agent") as agent:
        assert (app.timeout_s, agent.timeout_s) == (0.61, settings.background_timeout_ms / 1000)
        lost = await app.book(HOLD_READY)
        assert isinstance(lost, InDoubt) and lost.reason is DoubtReason.TIMEOUT
        heard = await agent.book(HOLD_READY)
        assert isinstance(heard, Ok) and heard.value.barcode == HOLD_READY


async def test_breaker_opens_fails_fast_then_half_opens_and_closes(central, tmp_path: Path,
                                                                   store: Store) -> None:
    settings = make_settings(tmp_path, central.url, breaker_failure_threshold=3, breaker_reset_s=0.3)
    central.stop()  # nothing listens: an outage
    async with CentralClient(settings, owner="app") as client:
        client.breakers.report_to(breaker_recorder(store, "app"))
        for _ in range(3):
            assert (await client.member_by_card(KIM)).reason is BusyReason.UNREACHABLE
        assert client.breakers.states()["lending"] == "open"
        assert breaker_states(store)["app"]["lending"]["state"] == "open"
        fast = await client.member_by_card(KIM)
        assert isinstance(fast, Busy) and fast.reason == "breaker_open" and 0 < fast.retry_after_s <= 0.3
        assert client.breakers.states()["views"] == "closed"  # other dependencies unaffected
        time.sleep(0.35)
        assert (await client.member_by_card(KIM)).reason is BusyReason.UNREACHABLE  # trial failed
        assert client.breakers.states()["lending"] == "open"
        central.start()
        time.sleep(0.35)
        assert isinstance(await client.member_by_card(KIM), Ok)  # trial succeeded
        assert client.breakers.states()["lending"] == "closed"
        assert breaker_states(store)["app"]["lending"]["state"] == "closed"


async def test_business_refusals_do_not_trip_the_breaker(central, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, central.url, breaker_failure_threshold=2)
    async with CentralClient(settings) as client:
        for _ in range(4):
            assert isinstance(await client.member_by_card("20042000009999"), NotFound)
        assert client.breakers.states()["lending"] == "closed"


async def test_manual_reset_closes_an_open_breaker(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "http://127.0.0.1:9", breaker_failure_threshold=1,
                             breaker_reset_s=60)
    async with CentralClient(settings) as client:
        assert (await client.mypage(1)).reason is BusyReason.UNREACHABLE
        assert client.breakers.is_open("views")
        client.breakers.reset("views")
        assert client.breakers.states()["views"] == "closed"


@pytest.mark.parametrize(("reply", "reason", "detail"), [
    (Reply(502, b"<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"}),
     DoubtReason.SERVER_ERROR, "http_502"),
    (Reply(504, b"", {}), DoubtReason.SERVER_ERROR, "http_504"),
    (Reply(503, b"<html>Service Unavailable</html>", {}), DoubtReason.SERVER_ERROR, "http_503"),
    (Reply(500, b'{"code": "internal_error", "message": "boom"}', {}), DoubtReason.SERVER_ERROR,
     "internal_error"),
    (Reply(200, b'{"id": 1, "cardNum', {}), DoubtReason.MALFORMED, "200"),
    (Reply(200, b'{"id": 1, "cardNumber": "x"}', {}), DoubtReason.MALFORMED, "200"),
    (Reply(200, b'{"id": 1, "cardNumber": "20042000000016", "name": "a", "status": "active"}',
           {}, truncate_to=20), DoubtReason.CONNECTION_LOST, ""),
    (Reply(200, b"[1, 2, 3]", {}), DoubtReason.MALFORMED, "200"),
])
async def test_unreadable_answers_are_in_doubt_never_a_crash(hostile, tmp_path: Path, reply: Reply,
                                                             reason: DoubtReason, detail: str) -> None:
    """A sent request whose answer cannot be read may have been applied: in doubt, never "no"
    (a proxy's 502/504, a 503 that is not the central side's own, a truncated body)."""
    hostile.queue(reply)
    async with CentralClient(make_settings(tmp_path, hostile.url)) as client:
        result = await client.member_by_card(KIM)
    assert isinstance(result, InDoubt) and result.reason is reason
    assert result.detail.startswith(detail)


async def test_only_certain_non_answers_are_busy(hostile, tmp_path: Path) -> None:
    """Busy means the central side certainly did nothing: its own 503, a 429, a refused connection."""
    hostile.queue(Reply(503, b'{"code": "service_down", "message": "down", "service": "rental"}',
                        {"Retry-After": "4"}),
                  Reply(429, b"", {"Retry-After": "2"}))
    async with CentralClient(make_settings(tmp_path, hostile.url)) as client:
        down = await client.member_by_card(KIM)
        limited = await client.member_by_card(KIM)
    assert isinstance(down, Busy) and down.reason is BusyReason.SERVICE_DOWN and down.retry_after_s == 4
    assert isinstance(limited, Busy) and limited.reason is BusyReason.RATE_LIMITED


async def test_an_html_refusal_keeps_its_status_as_the_code(hostile, tmp_path: Path,
                                                            outbox: Outbox) -> None:
    hostile.queue(Reply(409, b"<h1>Conflict</h1>", {"Content-Type": "text/html"}))
    async with CentralClient(make_settings(tmp_path, hostile.url)) as client:
        result = await send(client, rent(outbox, 1, AVAILABLE))
    assert isinstance(result, Refused) and result.code == "http_409" and "Conflict" in result.message


async def test_the_token_is_sent_and_the_key_travels(hostile, tmp_path: Path, caplog,
                                                     outbox: Outbox) -> None:
    caplog.set_level("DEBUG")
    settings = make_settings(tmp_path, hostile.url, api_token="s3cret-token")
    hostile.queue(Reply(201, b'{"id": 9, "memberId": 1, "bookId": 4, "barcode": "30042000000048", '
                             b'"status": "reserved"}', {}))
    asked = datetime.now(UTC)
    reserve = Intents(outbox).begin_reserve(1, 4, AVAILABLE, asked, visit="v", owner="t", lease_s=30)
    async with CentralClient(settings) as client:
        assert isinstance(await send(client, reserve), Ok)
    assert hostile.seen[0].key == reserve.key and hostile.seen[0].body == {
        "memberId": 1, "bookId": 4, "kioskNo": "kiosk-07", "occurredAt": asked.isoformat().replace("+00:00", "Z")}
    assert hostile.seen[0].path == "/rentals"
    assert hostile.seen[0].headers["authorization"] == "Bearer s3cret-token"
    assert "s3cret-token" not in caplog.text


def test_retry_after_forms() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert 25 < parse_retry_after(
        datetime.fromtimestamp(time.time() + 30, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 30
