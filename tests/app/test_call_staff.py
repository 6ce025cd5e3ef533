"""Call staff: the top bar's button and F9 raise one call (sync_agent.store.help_request), the patron
is told in their language that someone is coming (and hears it with speech on), a second press
while it is open raises nothing more, and the technician screen shows the call and ends it."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kiosk_app.app import CALL_STAFF_KEY
from kiosk_app.i18n import t
from kiosk_app.screen_fit import MIN_GRID
from kiosk_app.screens.common import HELP_ICON
from kiosk_app.screens.notice import NoticeScreen
from kiosk_app.screens.technician import TechScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.techpin import hash_pin
from kiosk_app.utterance import spoken
from kiosk_data.codes import KIM
from kiosk_testing.pilot import screen_text, wait_on_screen
from sync_agent.store import help_request

from .conftest import SIZE, scan_and_settle, settle
from .test_speech import hear
from .test_technician import PIN, TECH_CARD, enter


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_the_button_calls_staff_and_the_patron_is_told_in_their_language(kiosk, lang, caplog):
    k = kiosk(lang=lang)
    caplog.set_level(logging.INFO)
    async with k.app.run_test(size=SIZE) as pilot:
        assert str(k.app.screen.query_one("#help").label) == t(lang, "help_call")
        await pilot.click("#help")
        await settle(pilot)
        assert isinstance(k.app.screen, NoticeScreen)
        text = screen_text(k.app)
        assert t(lang, "help_called") in text and t(lang, "help_called_next") in text
    request = help_request.current(k.store)
    assert request["open"] and request["screen"] == "welcome" and request["total"] == 1
    assert "staff called by a patron on the welcome screen" in caplog.text


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_on_the_smallest_grid_the_button_says_less_and_still_calls(kiosk, lang):
    k = kiosk(lang=lang)
    async with k.app.run_test(size=(40, MIN_GRID[1])) as pilot:
        await settle(pilot)
        assert str(k.app.screen.query_one("#help").label) == t(lang, "help_call_short")
    k = kiosk(lang=lang)
    async with k.app.run_test(size=MIN_GRID) as pilot:
        await settle(pilot)
        button = k.app.screen.query_one("#help")
        assert str(button.label) == HELP_ICON, "22 columns: the icon, the online indicator keeps its words"
        assert button.region.right <= MIN_GRID[0] and button.region.height >= 1
        await pilot.click("#help")
        await settle(pilot)
        assert isinstance(k.app.screen, NoticeScreen)
    assert help_request.current(k.store)["open"]


async def test_the_key_calls_staff_from_the_member_screen_and_a_second_press_counts_nothing(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await pilot.press(CALL_STAFF_KEY)
        await settle(pilot)
        assert t("en", "help_called") in screen_text(k.app)
        first = help_request.current(k.store)
        await pilot.click("#ok")
        await settle(pilot)
        await pilot.click("#help")
        await settle(pilot)
        await pilot.press(CALL_STAFF_KEY)
        await settle(pilot)
        assert t("en", "help_called") in screen_text(k.app), "told again that help is coming"
    again = help_request.current(k.store)
    assert first["open"] and first["screen"] == "member"
    assert again["total"] == 1 and again["since"] == first["since"]


async def test_the_technician_sees_the_call_and_acknowledges_it(kiosk, caplog):
    k = kiosk(lang="en", tech_pin_hash=hash_pin(PIN))
    caplog.set_level(logging.INFO)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await pilot.press(CALL_STAFF_KEY)
        await settle(pilot)
        await scan_and_settle(pilot, TECH_CARD)
        await enter(pilot, PIN)
        assert isinstance(k.app.screen, TechScreen)
        await wait_on_screen(pilot, lambda: bool(k.app.screen.query("#help-ack")))
        row = k.app.screen.query_one("#help-request")
        assert row.display and "Staff called by a patron" in screen_text(k.app)
        assert "on the member screen" in screen_text(k.app)
        await pilot.click("#help-ack")
        await wait_on_screen(pilot, lambda: not k.app.screen.query("#help-ack"))
        assert not row.display
        assert not help_request.current(k.store)["open"]
        await pilot.press(CALL_STAFF_KEY)
        await settle(pilot)
        assert isinstance(k.app.screen, TechScreen), "no call from the technician's own screen"
    assert help_request.current(k.store)["total"] == 1
    assert "call for staff acknowledged on the technician screen" in caplog.text


async def test_after_acknowledgement_a_new_press_raises_a_new_call(kiosk):
    k = kiosk(lang="ko")
    async with k.app.run_test(size=SIZE) as pilot:
        await pilot.press(CALL_STAFF_KEY)
        await settle(pilot)
        assert help_request.acknowledge(k.store)
        await pilot.click("#ok")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen)
        await pilot.press(CALL_STAFF_KEY)
        await settle(pilot)
    request = help_request.current(k.store)
    assert request["open"] and request["total"] == 2


async def test_with_speech_on_the_notice_is_said(kiosk, tmp_path, espeak_ng):
    k = kiosk(lang="en", speech="on", speech_out=str(tmp_path / "said"))
    async with k.app.run_test(size=SIZE) as pilot:
        await hear(pilot, tmp_path / "said", 1)  # the welcome
        await pilot.press(CALL_STAFF_KEY)
        await settle(pilot)
        words: list[Any] = await hear(pilot, tmp_path / "said", 2)
    assert words[-1] == spoken(t("en", "help_called"), t("en", "help_called_next"))

