"""A patron who cannot see or reach the screen: a whole visit by the physical keypad alone (no
mouse event in this file), through the real app, the REST stand-in over real HTTP, a store on
disk and espeak-ng writing each utterance to ``speech_out``: the language key, the card and its
KIM_PIN, a borrow, a renewal, a return, the receipt; the view's 200 % enlargement (the display's scale
a recording stand-in here; the real one is driven in tests/deploy/test_display_stack.py); the
inactivity warning answered with more time."""

from __future__ import annotations

from typing import Any

import pytest

from hardware.display import DisplayError
from kiosk_app.i18n import t
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import StillHereScreen
from kiosk_app.screens.patron_pin import PatronPinScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.view_choice import ViewScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import HOLD_READY, KIM, KIM_PIN, ON_LOAN
from kiosk_testing.pilot import screen_text

from .conftest import SIZE, scan_and_settle, settle
from .test_speech import hear, said

TITLE_ON_LOAN = "The Pragmatic Programmer"


class RecordingScale:
    """The display's scale as the app sees it (hardware.display.OutputScale): each factor asked
    is written down; ``refuse`` makes the compositor say no, as a real one can."""

    def __init__(self, refuse: bool = False) -> None:
        self.factors: list[int] = []
        self.refuse = refuse

    def set(self, factor: int) -> None:
        if self.refuse:
            raise DisplayError("wlr-randr --output HDMI-A-1 --scale 2 exited 1: failed to apply")
        self.factors.append(factor)


@pytest.fixture
def speaking(kiosk, tmp_path, espeak_ng):
    def build(app_options: dict[str, Any] | None = None, **overrides: Any):
        return kiosk(app_options, speech="on", speech_out=str(tmp_path / "said"), **overrides)
    return build


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def scaled(pilot) -> None:
    """The display's scale was asked (a thread worker) and its answer reached the screen."""
    enlarging = [worker for worker in pilot.app.workers if worker.group == "enlarge"]
    if enlarging:  # (an empty list would wait for every worker, the patron queue's too)
        await pilot.app.workers.wait_for_complete(enlarging)
    await settle(pilot)


async def focus_on(pilot, wanted: str, limit: int = 30) -> None:
    """Down arrow until the control ``wanted`` (an id) has the focus, as a patron listening does."""
    for _ in range(limit):
        if pilot.app.focused is not None and pilot.app.focused.id == wanted:
            return
        await press(pilot, "down")
    raise AssertionError(f"#{wanted} never reached by the arrows; focused: {pilot.app.focused}")


async def test_a_whole_visit_by_the_keypad_alone(speaking, tmp_path, central):
    scale = RecordingScale()
    k = speaking({"scale": scale}, lang="ko", patron_pin="required", smtp_host="127.0.0.1",
                 member_view_grace_s=0.1)
    folder = tmp_path / "said"
    async with k.app.run_test(size=SIZE) as pilot:
        await press(pilot, "f12")                                  # the language key
        assert k.app.lang == "en"

        await scan_and_settle(pilot, KIM)                         # the card, at the scanner
        assert isinstance(k.app.screen, PatronPinScreen)
        await press(pilot, *KIM_PIN, "enter")
        assert isinstance(k.app.screen, MemberScreen)

        await scan_and_settle(pilot, HOLD_READY)               # a borrow
        assert [line.barcode for line in k.app.session.borrows] == [HOLD_READY]

        await focus_on(pilot, f"renew-{ON_LOAN}")                  # a renewal
        heard = await hear(pilot, folder, 1)
        assert heard[-1] == "Renew.", "the focused control is said, without the title by default"
        await press(pilot, "enter")
        [renewal] = k.app.session.renewals
        assert renewal.barcode == ON_LOAN and renewal.renewed

        await scan_and_settle(pilot, ON_LOAN)                      # a return, in the same visit
        assert [line.barcode for line in k.app.session.returns] == [ON_LOAN]

        await press(pilot, "f11")                                  # the view: enlarge, then back
        assert isinstance(k.app.screen, ViewScreen) and k.app.focused.id == "enlarge"
        await press(pilot, "enter")
        await scaled(pilot)
        assert scale.factors == [2] and k.app.enlarged
        assert str(k.app.screen.query_one("#enlarge").label) == "Enlarge 200%: on"
        assert k.app.focused.id == "enlarge", "the focus stays where the keypad left it"
        await press(pilot, "escape")
        assert isinstance(k.app.screen, MemberScreen)

        await focus_on(pilot, "done")                              # the receipt
        await press(pilot, "enter")
        assert isinstance(k.app.screen, ReceiptScreen)
        await focus_on(pilot, "email")
        await press(pilot, "enter")
        assert "Your receipt will be emailed to m***@example.org." in screen_text(k.app)
        await focus_on(pilot, "finish")
        await press(pilot, "enter")
        await scaled(pilot)
        assert isinstance(k.app.screen, WelcomeScreen)
        assert scale.factors == [2, 1] and not k.app.enlarged, "the next patron sees the normal size"
        assert k.app.lang == "ko", "and the library's language"
        heard = await hear(pilot, folder, 1)
    spoken = "\n".join(heard)
    assert "Email it to the address the library has." in spoken
    assert "m***@example.org" not in spoken and TITLE_ON_LOAN not in spoken, "nothing private aloud"
    assert KIM_PIN not in spoken and " ".join(KIM_PIN) not in spoken


async def test_in_private_mode_the_focused_renewal_names_its_book(speaking, tmp_path):
    k = speaking(lang="en", speech_details="always")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await focus_on(pilot, f"renew-{ON_LOAN}")
        heard = await hear(pilot, tmp_path / "said", 2)
    assert heard[-1] == f"Renew. {TITLE_ON_LOAN}."


async def test_the_arrows_go_round_and_back_is_the_screens_own_way_back(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        assert isinstance(k.app.screen, ReturnScreen)
        await press(pilot, "up")                                   # from nothing: the last control
        assert k.app.focused is not None and k.app.focused.id == "done"
        await press(pilot, "escape")
        assert not isinstance(k.app.screen, ReturnScreen), "back is the returns screen's Done"


async def test_back_on_the_pin_pad_cancels_it(kiosk):
    k = kiosk(lang="en", patron_pin="required")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await press(pilot, "1", "2")
        await press(pilot, "escape")
        assert isinstance(k.app.screen, WelcomeScreen) and k.app.session.patron is None


async def test_a_display_that_refuses_to_enlarge_is_said_and_nothing_changes(speaking, tmp_path,
                                                                            root_logger, caplog):
    k = speaking({"scale": RecordingScale(refuse=True)}, lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await press(pilot, "f11", "enter")
        await scaled(pilot)
        assert not k.app.enlarged
        assert str(k.app.screen.query_one("#enlarge").label) == "Enlarge 200%: off"
        heard = await hear(pilot, tmp_path / "said", 3)
    assert t("en", "say_enlarge_failed") in heard
    assert "the screen could not be enlarged: wlr-randr" in caplog.text


async def test_where_nothing_can_enlarge_the_view_offers_no_enlargement(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await press(pilot, "f11")
        assert isinstance(k.app.screen, ViewScreen)
        assert not k.app.screen.query("#enlarge") and k.app.focused.id == "contrast"


async def test_more_time_by_the_keypad_doubles_the_wait_for_the_rest_of_the_visit(speaking, tmp_path):
    k = speaking(lang="en", session_timeout_s=20)                 # warns for the last 10 s
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        for _ in range(10):
            k.app.tick()
        await settle(pilot)
        assert isinstance(k.app.screen, StillHereScreen) and k.app.focused.id == "continue"
        await press(pilot, "enter")                                # OK on the keypad
        assert isinstance(k.app.screen, ReturnScreen)
        for _ in range(29):
            k.app.tick()
        await settle(pilot)
        assert isinstance(k.app.screen, ReturnScreen), "20 s was the library's time: now it is 40 s"
        k.app.tick()
        await settle(pilot)
        assert isinstance(k.app.screen, StillHereScreen), "warned 10 s before the 40 s"
        assert k.app.idle.remaining_s == 10
        for _ in range(10):
            k.app.tick()
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen) and k.app.idle.timeout_s == 20, \
            "the next patron starts with the library's time"
        heard = await hear(pilot, tmp_path / "said", 4)
    assert "More time: the screen now waits 40 seconds." in heard
    assert any("Press OK, or touch More time, to have more time." in words for words in heard)
    assert said(tmp_path / "said")
