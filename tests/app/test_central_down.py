"""The central system down or busy: returns keep working and sync later, borrowing answers with the
fallback (or queues, when the kiosk allows offline checkout), the member sees the cached view."""

import httpx

from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen
from kiosk_data.codes import AVAILABLE_KO, CHOI, HOLD_READY, KIM, ON_LOAN, OVERDUE
from kiosk_testing.pilot import screen_text, wait_on_screen

from .conftest import SIZE, scan_and_settle, settle


async def go_offline(pilot, central):
    central.stop()
    pilot.app.check_health()
    await wait_on_screen(pilot, lambda: not pilot.app.online)
    await settle(pilot)


async def test_returns_are_saved_offline_and_synced_when_central_is_back(kiosk, central):
    k = kiosk(lang="en")
    assert await k.relay.refresh_read_model()
    async with k.app.run_test(size=SIZE) as pilot:
        await go_offline(pilot, central)
        assert not k.app.online and "○ Offline" in screen_text(k.app)
        await scan_and_settle(pilot, ON_LOAN, OVERDUE)
        text = screen_text(k.app)
        assert text.count("Return saved; it will be sent to the library system automatically.") == 2
        assert "The Pragmatic Programmer" in text and "소년이 온다" in text, "titles from the local catalog"
    assert k.lending.outbox.counts()["pending"] == 2
    central.start()
    assert (await k.relay.drain(15)).delivered == 2
    returned = httpx.get(f"{central.url}/rentals", params={"memberId": 1, "status": "returned"}).json()
    assert {r["barcode"] for r in returned} == {ON_LOAN, OVERDUE}
    assert max(returned, key=lambda r: r["fine"])["fine"] == 500, "fined by when the patron returned"


async def test_member_sees_cached_view_and_borrowing_answers_busy(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)       # a visit while up caches the view
        await pilot.click("#done")
        await settle(pilot)
        await go_offline(pilot, central)
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen) and k.app.session.patron.cached
        assert "Offline: information as of" in screen_text(k.app)
        await scan_and_settle(pilot, HOLD_READY)
        assert isinstance(k.app.screen, NoticeScreen)
        text = screen_text(k.app)
        assert "Lending is busy, please try again in a minute." in text and "Nothing has been borrowed." in text
        assert not k.app.session.borrows
    assert k.lending.outbox.counts()["pending"] == 0


async def test_open_breaker_answers_the_fallback_without_calling(kiosk, central):
    k = kiosk(lang="en", breaker_failure_threshold=1, breaker_sustained_s=0)  # the first 503 opens it
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        central.set_fault("rental", down=True)
        await scan_and_settle(pilot, HOLD_READY)
        assert "Lending is busy" in screen_text(k.app)
        assert k.client.breakers.is_open("lending")
        await pilot.click("#ok")
        await scan_and_settle(pilot, HOLD_READY)
        assert "Lending is busy" in screen_text(k.app) and not k.app.session.borrows
    central.clear_faults()
    assert httpx.get(f"{central.url}/rentals", params={"memberId": 1, "status": "rented"}).json()[0]["bookId"] != 1


async def test_offline_checkout_queues_within_the_limit(kiosk, central):
    k = kiosk(lang="en", offline_checkout="allow", offline_max_items=1, offline_due_days=7)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await go_offline(pilot, central)
        await scan_and_settle(pilot, HOLD_READY)
        [line] = k.app.session.borrows
        assert line.queued and (line.due_at - k.app.session.started_at).days in (6, 7)
        assert "Borrow saved · due" in screen_text(k.app)
        await scan_and_settle(pilot, AVAILABLE_KO)
        assert "While offline, you can borrow up to 1 books per visit." in screen_text(k.app)
    assert k.lending.outbox.counts()["pending"] == 1
    central.start()
    assert (await k.relay.drain(15)).delivered == 1
    assert httpx.get(f"{central.url}/rentals", params={"memberId": 1, "bookId": 1}).json()[0]["status"] == "rented"


async def test_pending_return_is_delivered_before_a_rent(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)     # saved in the outbox; no agent runs here
        assert k.lending.outbox.counts()["pending"] == 1
        await pilot.click("#done")
        await settle(pilot)
        await pilot.click("#finish")
        await scan_and_settle(pilot, CHOI, ON_LOAN)
        assert "return has not been processed" not in screen_text(k.app)
    counts = k.lending.outbox.counts()
    assert counts["pending"] == 0 and counts["delivered"] == 1
    assert httpx.get(f"{central.url}/rentals", params={"bookId": 2}).json()[0]["status"] == "returned"
