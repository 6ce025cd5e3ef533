"""The patron PIN pad on screen: snapshots in Korean and English (fresh, and after a wrong PIN
with the tries left), and every key whole and inside the screen from the 100x32 layout down to
a 22x7 grid."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import Button

from kiosk_app.screens.patron_pin import PatronPinScreen

from .conftest import SIZE

LANGS = ["ko", "en"]


@pytest.fixture
def pad_app(offline_kiosk):
    def build(lang):
        app = offline_kiosk(lang=lang, patron_pin="required").app
        app.set_reactive(type(app).online, True)
        return app
    return build


def snapshot(snap_compare, app, *, wrong: int | None = None, typed: str = "", size=SIZE):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.app.push_screen(PatronPinScreen())
        await pilot.pause()
        if wrong is not None:
            pilot.app.screen.wrong(wrong)
        for digit in typed:
            pilot.app.screen.press(digit)
        await pilot.pause()
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_patron_pin_pad(snap_compare, pad_app, lang):
    snapshot(snap_compare, pad_app(lang), typed="123")


@pytest.mark.parametrize("lang", LANGS)
def test_patron_pin_pad_after_a_wrong_pin(snap_compare, pad_app, lang):
    snapshot(snap_compare, pad_app(lang), wrong=2)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", [SIZE, (40, 12), (27, 7), (22, 7)])
async def test_every_key_is_whole_and_on_screen(pad_app, lang, size):
    app = pad_app(lang)
    async with app.run_test(size=size) as pilot:
        await app.push_screen(PatronPinScreen())
        app.screen.wrong(2)  # the longest line the pad says
        await pilot.pause()
        screen = app.screen.region
        keys = list(app.screen.query(Button))
        assert len(keys) == 14
        for key in keys:
            region = key.region
            assert region.height >= 1 and region.width >= 3, (key.id, region)
            assert screen.contains_region(region), (key.id, region, screen)
            assert cell_len(str(key.label)) <= region.width, (key.id, key.label, region)
        labels = {key.id: str(key.label) for key in keys}
        assert all(region_free(app, key) for key in keys), labels
        message = app.screen.query_one("#patron-pin-title").region
        assert screen.contains_region(message) and message.height >= 1
        assert app.screen.query_one("#patron-pin-dots").region.height == 1


def region_free(app, key: Button) -> bool:
    """No other key overlaps this one."""
    return not any(other is not key and other.region.overlaps(key.region)
                   for other in app.screen.query(Button))
