"""The app's shape: the logo counts its own taps, a result of an ended visit is dropped, and
screens say what the patron did with messages the app handles."""

from __future__ import annotations

import gc

from textual.app import App, ComposeResult

from kiosk_app.messages import TechnicianRequested
from kiosk_app.screens.common import Logo
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.pin import PinScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.session import Patron
from kiosk_data.codes import HOLD_READY, KIM, ON_LOAN, OVERDUE

from .conftest import SIZE, held_borrows, scan, scan_and_settle, settle


class LogoOnly(App[None]):
    """The logo alone, on a clock the test moves, counting what it posts up."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.requested = 0

    def compose(self) -> ComposeResult:
        yield Logo("▤▤", id="logo", clock=lambda: self.now)

    def on_technician_requested(self, message: TechnicianRequested) -> None:
        self.requested += 1


async def tap(pilot, times: int, every_s: float = 0.1) -> None:
    for _ in range(times):
        await pilot.click("#logo")
        pilot.app.now += every_s
    await pilot.pause()


async def test_five_quick_taps_on_the_logo_ask_for_the_technician_once() -> None:
    app = LogoOnly()
    async with app.run_test() as pilot:
        await tap(pilot, 4)
        assert app.requested == 0, "four taps are not enough"
        await tap(pilot, 1)
        assert app.requested == 1
        await tap(pilot, 4)
        assert app.requested == 1, "the count starts again after a request"


async def test_slow_taps_on_the_logo_ask_for_nothing() -> None:
    app = LogoOnly()
    async with app.run_test() as pilot:
        await tap(pilot, 12, every_s=1.0)  # never five within the three-second window
        assert app.requested == 0


async def test_five_taps_on_the_kiosk_logo_open_the_pin_pad(kiosk) -> None:
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        for _ in range(5):
            await pilot.click("#logo")
        await settle(pilot)
        assert isinstance(k.app.screen, PinScreen)
        assert not k.app.session.returns, "the visit was ended before the pad opened"


async def test_a_tap_of_an_ended_visit_does_nothing_in_the_next(kiosk, central) -> None:
    """A borrow is in flight when the visit ends (the inactivity timer), and the patron's tap on
    "renew all", queued behind it, belongs to the ended visit: it must neither renew anything
    nor touch the next patron's screen."""
    k = kiosk(lang="en")
    gate = held_borrows(k)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        first = k.app.session
        scan(k.app, HOLD_READY)
        await pilot.pause()
        assert k.app.working, "the borrow is in flight"
        k.app.end_session()                     # what the inactivity timer does
        await pilot.click("#renew-all")         # the member screen still shows
        await pilot.pause()
        gate.set()
        await settle(pilot)
        assert [line.barcode for line in first.borrows] == [HOLD_READY]
        assert not first.renewals, "nothing is renewed for a visit that has ended"
        assert isinstance(k.app.screen, WelcomeScreen) and k.app.session is not first
        assert k.app.session.is_empty
        await scan_and_settle(pilot, OVERDUE)
        assert isinstance(k.app.screen, ReturnScreen)
        assert [line.barcode for line in k.app.session.returns] == [OVERDUE]


async def test_the_done_button_posts_up_and_the_app_ends_the_visit(kiosk) -> None:
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen)
        await pilot.click("#done")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen) and k.app.session.is_empty


async def test_no_screen_keeps_the_ended_visit(kiosk) -> None:
    """The screens hold what the app handed them: after "Done" (the language never changed, so
    nothing is redrawn for that) none of them may still hold the last patron."""
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await pilot.click("#done")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen)
        gc.collect()
        assert not [o for o in gc.get_objects() if isinstance(o, Patron)], "the patron is gone from memory"
