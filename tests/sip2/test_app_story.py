"""The whole patron story over SIP2 through the real app: the same screens, store, relay and saga
as over REST, with the fake ACS (real TCP on 127.0.0.1) as the library system."""

from __future__ import annotations

from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_data.codes import AVAILABLE, BLOCKED, CHOI, HOLD_READY, KIM, ON_LOAN, OTHERS_HOLD, OVERDUE, PARK
from kiosk_testing.pilot import screen_text
from tests.app.conftest import (
    SIZE,
    Agent,
    scan_and_settle,
    settle,
)
from tests.sip2.conftest import sip2_kiosk, sip2_settings


async def test_member_view_checkout_of_a_held_copy_and_from_the_shelf(tmp_path, acs) -> None:
    server = acs()
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en"))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            assert isinstance(k.app.screen, MemberScreen)
            text = screen_text(k.app)
            assert "Hello, 김민지" in text and "채식주의자" in text
            assert "The Pragmatic Programmer" in text and "OVERDUE" in text
            await scan_and_settle(pilot, HOLD_READY)
            [line] = k.app.session.borrows
            assert line.title == "채식주의자" and not line.queued
            assert "Borrowed · due" in screen_text(k.app)
            await scan_and_settle(pilot, AVAILABLE)  # any copy on the shelf: no reservation first
            assert [b.barcode for b in k.app.session.borrows] == [HOLD_READY, AVAILABLE]
        assert server.library.items[HOLD_READY].patron == KIM
        assert server.library.applied == {f"checkout:{HOLD_READY}": 1, f"checkout:{AVAILABLE}": 1}
    finally:
        await k.close()


async def test_refusals_in_the_kiosks_words_and_the_librarys_own(tmp_path, acs) -> None:
    server = acs()
    for card, code, words in ((CHOI, OTHERS_HOLD, "reserved for another"), (BLOCKED, None, "cannot borrow")):
        k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en"))
        try:
            async with k.app.run_test(size=SIZE) as pilot:
                await scan_and_settle(pilot, card, *([code] if code else []))
                assert words in screen_text(k.app).lower()
                assert not k.app.session.borrows
                if code:  # the ACS's AF screen message, under the kiosk's own words
                    said = k.app.screen.query_one("#said")
                    assert "The library says: Item is on hold for another patron" in str(said.render())
        finally:
            await k.close()
    assert not server.library.applied


async def test_returns_online_and_offline_then_drain(tmp_path, acs) -> None:
    server = acs()
    settings = sip2_settings(tmp_path, server, lang="en")
    k = sip2_kiosk(settings)
    agent = Agent(settings)
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, ON_LOAN)
            assert isinstance(k.app.screen, ReturnScreen)
            assert "Returned" in screen_text(k.app)
            server.stop()  # the library system goes away
            k.app.online = False
            await scan_and_settle(pilot, OVERDUE)
            assert [line.barcode for line in k.app.session.returns] == [ON_LOAN, OVERDUE]
            assert k.lending.outbox.counts()["pending"] == 2
        server.start()  # back on the same port, records kept
        drained = await agent.relay.drain(15)
        assert drained.empty and drained.delivered == 2
        assert server.library.applied == {f"checkin:{ON_LOAN}": 1, f"checkin:{OVERDUE}": 1}
        assert server.library.items[OVERDUE].status == "03"
    finally:
        await agent.close()
        await k.close()


async def test_renewals_over_sip2_in_the_kiosks_words(tmp_path, acs) -> None:
    server = acs()
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en"))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            due_before = server.library.items[ON_LOAN].due
            k.app.renew_loans(None)  # renew all: one 65, then 17 for each loan
            await settle(pilot)
            outcome = {line.barcode: (line.renewed, line.why) for line in k.app.session.renewals}
            assert outcome == {ON_LOAN: (True, ""), OVERDUE: (False, "renew_no_overdue")}
            assert server.library.items[ON_LOAN].due > due_before
            assert "Renewed · now due" in screen_text(k.app)
            server.library.items[ON_LOAN].hold_for = PARK  # a hold placed on the copy on loan
            k.app.renew_loans(ON_LOAN)
            await settle(pilot)
            text = screen_text(k.app)
            assert "another member has reserved this book" in text
            assert "The library says: Item is on hold for another patron" in text
            server.library.items[ON_LOAN].hold_for = ""
            k.app.renew_loans(ON_LOAN)
            await settle(pilot)
            k.app.renew_loans(ON_LOAN)
            await settle(pilot)
            assert k.app.session.renewals[-1].why == "renew_no_limit"
            server.library.patrons[KIM].blocked = True
            k.app.renew_loans(ON_LOAN)
            await settle(pilot)
            assert "your card is blocked" in screen_text(k.app)
        assert server.library.items[ON_LOAN].renewals == 2
        commands = server.commands()
        assert commands.count("65") == 1 and commands.count("29") == 4 and "11" not in commands
    finally:
        await k.close()
