"""The patron's view for the visit (screens/view_choice.py): the library's theme at start, high
contrast and low position switched from the top bar's "view" button (and low position by F10),
both back to the library's defaults when the visit ends; in low position every button lies in
the lower half of the screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Button

from kiosk_app.i18n import t
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.patron_pin import PatronPinScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.view_choice import ViewScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.themes import HIGH_CONTRAST, STANDARD

from .conftest import SIZE, settle
from .test_layout_fit import _shown, a_long_visit, cut_widgets, out_of_view


async def test_the_library_s_theme_is_the_one_at_start(offline_kiosk):
    app = offline_kiosk(theme="high-contrast").app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == HIGH_CONTRAST.name
        assert app.screen.styles.background.hex == "#000000"


class Heard:
    """A speech engine that keeps the words it is given."""

    def __init__(self) -> None:
        self.words: list[str] = []

    def say(self, text: str, lang: str, **_: object) -> None:
        self.words.append(text)

    def close(self) -> None:
        pass


async def test_the_patron_s_view_lasts_the_visit(offline_kiosk):
    app = offline_kiosk(speech="on").app
    heard = app.speaker.engine = Heard()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == STANDARD.name and not app.has_class("-low")
        await pilot.click("#view")
        await settle(pilot)
        assert isinstance(app.screen, ViewScreen)
        assert str(app.screen.query_one("#contrast", Button).label) == "고대비 화면: 꺼짐"
        await pilot.click("#contrast")
        await settle(pilot)
        assert app.theme == HIGH_CONTRAST.name
        assert str(app.screen.query_one("#contrast", Button).label) == "고대비 화면: 켜짐", "the chooser says so"
        await pilot.click("#low")
        await settle(pilot)
        assert app.has_class("-low") and app.low
        await pilot.click("#view-close")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.screen.query_one("TopBar").styles.dock == "bottom"
        assert app.screen.styles.background.hex == "#000000", "the screen under the chooser follows"
        await pilot.press("f10")
        await settle(pilot)
        assert not app.has_class("-low"), "F10 switches it back"
        assert heard.words[-2:] == ["버튼을 화면 아래쪽으로 옮겼습니다.", "버튼을 원래 자리로 되돌렸습니다."], \
            heard.words
        await pilot.press("f10")
        await settle(pilot)
        assert app.has_class("-low")
        a_long_visit(app)
        await app.show_base(MemberScreen)
        app.end_session()
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.theme == STANDARD.name and not app.has_class("-low") and not app.low
        assert app.screen.styles.background.hex != "#000000"
        assert app.screen.query_one("TopBar").styles.dock != "bottom"


ENDS = {MemberScreen: ("done",), ReceiptScreen: ("finish",)}
"""The buttons that end a visit, which must be in view without scrolling."""


def low_buttons(app: Any) -> list[str]:
    """The shown buttons whose top is above the middle of the screen."""
    middle = app.size.height // 2
    return [f"{button!r} at {button.region}" for button in app.screen.query(Button)
            if _shown(button) and button.region.y < middle]


@pytest.mark.parametrize(("size", "display"), [((100, 32), ""), ((76, 21), "476x268")], ids=["100x32", "76x21"])
async def test_low_position_puts_every_button_in_the_lower_half(offline_kiosk, tmp_path, size, display):
    app = offline_kiosk(display_size_mm=display, receipt_printer=tmp_path / "printer", smtp_host="127.0.0.1").app
    async with app.run_test(size=size) as pilot:
        a_long_visit(app)
        await app.receipts.check_printer()
        for screen in (WelcomeScreen, MemberScreen, ReceiptScreen):
            await app.show_base(screen)
            await settle(pilot)
            assert low_buttons(app), f"{screen.__name__}: buttons in the upper half without low position"
        await pilot.press("f10")
        for screen in (WelcomeScreen, MemberScreen, ReceiptScreen):
            await app.show_base(screen)
            await settle(pilot)
            assert app.screen.query(Button), screen
            assert not low_buttons(app), f"{screen.__name__} at {size}: {low_buttons(app)}"
            assert not cut_widgets(app.screen), f"{screen.__name__} at {size}: {cut_widgets(app.screen)}"
            ends = ("lang", "view", *ENDS.get(screen, ()))  # 76 columns: the word, not the icon
            assert not out_of_view(app.screen, ends), out_of_view(app.screen, ends)
        if size[1] < 32:
            return  # the PIN pad's twelve keys need the whole height for 15 mm each on short grids
        await app.push_screen(PatronPinScreen())
        await settle(pilot)
        assert len(app.screen.query(Button)) >= 12 and not low_buttons(app), low_buttons(app)


async def test_on_the_narrowest_grid_the_view_button_leaves_the_online_indicator_its_words(offline_kiosk):
    """22 columns: the "view" button is its icon, three cells, and the indicator says it whole."""
    app = offline_kiosk(display_size_mm="268x476").app
    async with app.run_test(size=(22, 19)) as pilot:
        for lang in ("ko", "en"):
            app.lang = lang
            await settle(pilot)
            bar = app.screen._compositor.render_strips()[0].text
            assert t(lang, "online") in bar, bar
            assert app.screen.query_one("#view-icon").display and not app.screen.query_one("#view").display
