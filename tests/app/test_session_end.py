"""Sessions end by themselves: a visible countdown, a "still here?" prompt, then nothing of the
patron is left; scans through a real pty reach the screen."""

import gc

from hardware.sim import VirtualScanner
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen, StillHereScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.session import Patron
from kiosk_data.codes import KIM, ON_LOAN
from kiosk_testing.pilot import screen_text, wait_on_screen

from .conftest import SIZE, scan_and_settle, settle


async def tick(pilot, times):
    for _ in range(times):
        pilot.app.tick()
    await settle(pilot)


async def test_inactivity_prompts_counts_down_and_clears_the_patron(kiosk):
    k = kiosk(session_timeout_s=20)  # warns for the last 10 s
    async with k.app.run_test(size=SIZE) as pilot:
        await pilot.click("#lang")                      # the patron chose English
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen)
        await tick(pilot, 9)
        assert isinstance(k.app.screen, MemberScreen), "no prompt before the warning time"
        await tick(pilot, 1)
        assert isinstance(k.app.screen, StillHereScreen)
        assert "The screen will be cleared in 10 s." in screen_text(k.app)
        await tick(pilot, 3)
        assert "cleared in 7 s." in screen_text(k.app)
        await tick(pilot, 7)
        assert isinstance(k.app.screen, WelcomeScreen)
        assert k.app.session.is_empty and k.app.session.patron is None
        assert k.app.lang == "ko", "the next patron starts in the kiosk's language"
        assert "김민지" not in screen_text(k.app) and "Kim Min-ji" not in screen_text(k.app)
        assert len(k.app.screen_stack) == 2
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, Patron)], "the patron is gone from memory"


async def test_still_here_continue_keeps_the_visit(kiosk):
    k = kiosk(session_timeout_s=20)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        await tick(pilot, 12)
        assert isinstance(k.app.screen, StillHereScreen)
        await pilot.click("#continue")
        await settle(pilot)
        assert isinstance(k.app.screen, ReturnScreen) and len(k.app.session.returns) == 1
        await tick(pilot, 9)
        assert isinstance(k.app.screen, ReturnScreen), "the countdown started again"


async def test_an_idle_welcome_screen_never_prompts(kiosk):
    k = kiosk(session_timeout_s=10)
    async with k.app.run_test(size=SIZE) as pilot:
        await tick(pilot, 30)
        assert isinstance(k.app.screen, WelcomeScreen)


async def test_scans_through_a_real_pty(kiosk, central):
    with VirtualScanner() as scanner:
        k = kiosk({"with_devices": True}, scanner_port=scanner.path, lang="en")
        async with k.app.run_test(size=SIZE) as pilot:
            await wait_on_screen(pilot, lambda: any(d.status.state == "connected" for d in k.app.devices.devices))
            scanner.scan(ON_LOAN)
            # the screen is switched before its rows are composed: wait for the row itself
            await wait_on_screen(pilot, lambda: isinstance(k.app.screen, ReturnScreen) and (
                "The Pragmatic Programmer" in screen_text(k.app) or ON_LOAN in screen_text(k.app)))
            scanner.scan("30042000000015")  # wrong check digit: a plausible misread
            await wait_on_screen(pilot, lambda: isinstance(k.app.screen, NoticeScreen))
            assert "This barcode could not be read." in screen_text(k.app)
            assert len(k.app.session.returns) == 1
