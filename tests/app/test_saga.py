"""Borrowing as a saga, through the real app, store, relay and stand-in: a borrow or reservation
whose answer was lost is *in doubt*, never "no"; the patron is told the kiosk could not confirm it
and that it does not count; the agent then settles it against the central side's own records and
undoes (cancel with refund, or return) whatever was applied although the patron was not told so,
exactly once. Each in-doubt case of the issue has its test: a slow payment, a slow book management,
a connection dropped after the central side applied, and a proxy's 502 in front of a central side
that applied. (The app killed mid-intent is ``tests/system/test_saga_kill.py``.)
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen, OfferScreen
from kiosk_data.codes import AVAILABLE, CHOI, HOLD_READY, KIM
from kiosk_testing.pilot import screen_text
from sync_agent.store.outbox import Kind, Status, Told

from .conftest import SIZE, central_get, scan_and_settle, settle

FAST = {"call_timeout_ms": 610, "borrow_wait_s": 2.0, "lang": "en"}
"""The seed's call timeout; a patron waits 2 s in all: a few tries under one key."""
SLOW = (1000, 1000)
"""Slower than the call timeout: the central side applies after the kiosk stopped listening."""


def intents(k, kind: Kind):
    return [e for e in k.lending.outbox.recent(100) if e.kind is kind and e.compensates is None]


def compensations(k):
    return [e for e in k.lending.outbox.recent(100) if e.compensates is not None]


async def finish_visit(pilot) -> None:
    """The patron taps OK, Done, then Finish: the visit ends and hands its intents to the agent."""
    app = pilot.app
    if isinstance(app.screen, NoticeScreen):
        await pilot.click("#ok")
        await settle(pilot)
    await pilot.click("#done")
    await settle(pilot)
    if app.session.has_lines:  # a receipt to close; an empty visit ends at once
        await pilot.click("#finish")
        await settle(pilot)
    assert app.session.is_empty


def applied_once(central, key: str) -> bool:
    return central.key_counts().get(key) == 1


async def assert_loan_undone_once(k, central, agent) -> None:
    """After the agent settles: the loan the patron was told did not count was made, and exactly
    one compensation, applied once, put it back to the reservation it was made from: the copy is
    held for the patron again, with the fee they paid for it, as they expect when they come back
    to scan it again."""
    [paid] = central_get(central, "/payments", memberId=1)
    assert (await agent.relay.drain(10)).empty
    [rent] = intents(k, Kind.RENT)
    [undo] = compensations(k)
    assert rent.told is Told.UNDO and undo.compensates == rent.id and undo.kind is Kind.UNRENT
    assert applied_once(central, rent.key) and applied_once(central, undo.key)
    [held] = central_get(central, "/rentals", memberId=1, bookId=1)
    assert (held["status"], held["rentedAt"], held["fine"]) == ("reserved", None, 0)
    assert held["paymentId"] == paid["id"] and held["fee"] == 1000
    assert central_get(central, "/payments", memberId=1) == [paid], "the fee kept for the hold"


async def test_a_reservation_whose_answer_was_lost_is_refunded_and_told_next_visit(
        kiosk, central, agent_for):
    k = kiosk(**FAST)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, CHOI)
        assert isinstance(k.app.screen, MemberScreen), screen_text(k.app)
        await scan_and_settle(pilot, AVAILABLE)
        assert isinstance(k.app.screen, OfferScreen), screen_text(k.app)
        assert "for a fee of 1,000 won" in screen_text(k.app), "the central side's fee, before confirming"
        central.set_fault("payment", latency_ms=SLOW)
        await pilot.click("#accept")
        await settle(pilot)
        text = screen_text(k.app)
        assert "the reservation could not be confirmed" in text and "does not count" in text
        assert "Nothing was reserved" not in text, "in doubt is never 'no'"
        [reserve] = intents(k, Kind.RESERVE)
        assert reserve.told is Told.UNDO and reserve.status is Status.PENDING
        await finish_visit(pilot)
    paid = central_get(central, "/payments", memberId=6)
    assert [p["status"] for p in paid] == ["paid"], "the lost answer had taken the fee"
    agent = agent_for(k)  # payment still slower than the patron's timeout: the agent waits longer
    assert (await agent.relay.drain(10)).empty
    central.clear_faults()
    [reserve] = intents(k, Kind.RESERVE)
    [undo] = compensations(k)
    assert reserve.status is Status.DELIVERED and undo.compensates == reserve.id
    assert undo.kind is Kind.CANCEL and undo.status is Status.DELIVERED
    assert applied_once(central, reserve.key) and applied_once(central, undo.key)
    assert [r["status"] for r in central_get(central, "/rentals", memberId=6)] == ["cancelled"]
    assert [p["status"] for p in central_get(central, "/payments", memberId=6)] == ["refunded"]
    assert (await agent.relay.drain(5)).empty and len(compensations(k)) == 1, "undone exactly once"

    later = kiosk(**FAST)  # the kiosk restarted since: the next visit says what became of it
    assert await later.relay.refresh_read_model()  # the agent's catalog sync: titles
    async with later.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, CHOI)
        text = screen_text(later.app)
        assert "The reservation of 'Clean Code'" in text and "1,000 won refunded" in text
        await finish_visit(pilot)
        await scan_and_settle(pilot, CHOI)
        assert "From your earlier visits" not in screen_text(later.app), "told once"


async def test_a_self_rent_slower_than_the_timeout_goes_back_to_its_reservation(kiosk, central, agent_for):
    k = kiosk(**FAST)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        central.set_fault("book", latency_ms=SLOW)
        await scan_and_settle(pilot, HOLD_READY)
        text = screen_text(k.app)
        assert "this loan could not be confirmed" in text and "does not count" in text
        assert k.app.session.borrows == [] and len(k.app.session.doubts) == 1
        central.clear_faults()
        await finish_visit(pilot)
    loans = central_get(central, "/rentals", memberId=1, bookId=1)
    assert [r["status"] for r in loans] == ["rented"], "the loan was made although the answer was lost"
    await assert_loan_undone_once(k, central, agent_for(k))

    later = kiosk(**FAST)  # the next visit says what became of it, and the book can be borrowed
    assert await later.relay.refresh_read_model()
    async with later.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        text = screen_text(later.app)
        assert "it was undone, and the book is held for you again" in text, text
        await scan_and_settle(pilot, HOLD_READY)
        assert "Borrowed · due" in screen_text(later.app)


async def test_trying_again_in_the_visit_confirms_the_same_intent_under_its_key(kiosk, central, agent_for):
    """A connection dropped after the central side applied: in doubt; the patron scans the book
    again a minute later and the kiosk asks the same intent again, so the loan is confirmed,
    made once, and never undone."""
    k = kiosk(**FAST, breaker_failure_threshold=10)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        central.set_fault("rental", drop_rate=1.0)
        await scan_and_settle(pilot, HOLD_READY)
        assert "this loan could not be confirmed" in screen_text(k.app)
        central.clear_faults()
        await pilot.click("#ok")
        await scan_and_settle(pilot, HOLD_READY)
        assert isinstance(k.app.screen, MemberScreen), screen_text(k.app)
        assert "Borrowed · due" in screen_text(k.app)
        await finish_visit(pilot)
    [rent] = intents(k, Kind.RENT)
    assert rent.told is Told.CONFIRMED and rent.status is Status.DELIVERED
    assert rent.attempts >= 2 and applied_once(central, rent.key)
    assert (await agent_for(k).relay.drain(5)).empty and compensations(k) == []
    assert [r["status"] for r in central_get(central, "/rentals", memberId=1, bookId=1)] == ["rented"]


async def test_trying_again_while_book_management_stays_slow_confirms_the_loan_from_the_records(
        kiosk, central, agent_for):
    """Book management slower than the call timeout for the whole visit: the second scan finds
    the loan the first one made in the member's loans (the rental service answers at once), so
    the patron is told "borrowed" although no answer ever came back through book management."""
    k = kiosk(**FAST, breaker_failure_threshold=10)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        central.set_fault("book", latency_ms=SLOW)
        await scan_and_settle(pilot, HOLD_READY)
        assert "this loan could not be confirmed" in screen_text(k.app)
        await pilot.click("#ok")
        await scan_and_settle(pilot, HOLD_READY)
        assert "Borrowed · due" in screen_text(k.app), screen_text(k.app)
        await finish_visit(pilot)
    [rent] = intents(k, Kind.RENT)
    assert rent.told is Told.CONFIRMED and rent.status is Status.DELIVERED
    assert applied_once(central, rent.key)
    assert (await agent_for(k).relay.drain(5)).empty and compensations(k) == []
    assert [r["status"] for r in central_get(central, "/rentals", memberId=1, bookId=1)] == ["rented"]


async def test_a_connection_dropped_after_the_central_side_applied_is_undone(kiosk, central, agent_for):
    k = kiosk(**FAST)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        central.set_fault("rental", drop_rate=1.0)
        await scan_and_settle(pilot, HOLD_READY)
        assert "this loan could not be confirmed" in screen_text(k.app)
        central.clear_faults()
        await finish_visit(pilot)
    await assert_loan_undone_once(k, central, agent_for(k))


class BadGateway:
    """A reverse proxy on 127.0.0.1 in front of the stand-in that, while ``failing``, forwards each
    request (so the central side acts) and then answers the kiosk 502 with an HTML page."""

    def __init__(self, upstream: str) -> None:
        self.failing = False
        self.forwarded = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name: value for name, value in self.headers.items()
                           if name.lower() not in ("host", "content-length", "connection")}
                answer = httpx.request(self.command, upstream + self.path, content=body,
                                       headers=headers, timeout=10)
                proxy.forwarded += 1
                if proxy.failing:
                    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                    self.send_response(502)
                    self.send_header("Content-Type", "text/html")
                else:
                    page = answer.content
                    self.send_response(answer.status_code)
                    for name, value in answer.headers.items():
                        if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                            self.send_header(name, value)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            do_GET = do_POST = do_PATCH = _forward  # noqa: N815 - http.server's handler names

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bad_gateway(central):
    proxy = BadGateway(central.url)
    yield proxy
    proxy.close()


async def test_a_proxy_502_in_front_of_a_central_side_that_applied_is_in_doubt(
        kiosk, central, agent_for, bad_gateway):
    k = kiosk(**(FAST | {"api_url": bad_gateway.url}))
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        bad_gateway.failing = True
        await scan_and_settle(pilot, HOLD_READY)
        text = screen_text(k.app)
        assert "this loan could not be confirmed" in text
        assert "Nothing has been borrowed" not in text, "a 502 is not 'certainly not done'"
        bad_gateway.failing = False
        await finish_visit(pilot)
    await assert_loan_undone_once(k, central, agent_for(k))


async def test_certainly_not_done_is_told_at_once_and_nothing_is_left(kiosk, central, agent_for):
    """Book management down (its own 503): nothing was applied, the patron hears the seed's
    fallback at once, and the intent is closed as declined, with nothing for the agent."""
    k = kiosk(**FAST)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        central.set_fault("book", down=True)
        await scan_and_settle(pilot, HOLD_READY)
        assert "Nothing has been borrowed" in screen_text(k.app)
        await finish_visit(pilot)
    [rent] = intents(k, Kind.RENT)
    assert rent.status is Status.DECLINED and rent.told is Told.DECLINED and rent.attempts == 1
    assert central.key_counts() == {}
    assert (await agent_for(k).relay.drain(5)).delivered == 0
