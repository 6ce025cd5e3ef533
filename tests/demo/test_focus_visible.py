"""Every Tab stop shows that it has the focus: a keyboard user (or a presenter at a laptop) must
see where Enter will land. Walks Tab through the demo's screens, the patron screens with the
panel beside them, and compares how each stop is drawn focused and not."""

from __future__ import annotations

from pathlib import Path

from rich.color import Color
from rich.segment import Segment
from textual.widget import Widget

from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.pin import PinScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import KIM, ON_LOAN
from kiosk_demo.panel import QuitDemo
from kiosk_testing.pilot import wait_on_screen
from tests.demo.demo_pilot import running_demo, tap

VISIBLE = 40
"""The least change, in one colour channel (0-255) of one cell, that counts as visible: four
times what Textual's 5 % tint of a focused background changes (about 10, which nobody sees)."""
TECHNICIAN_CARD = "20042999999996"


async def tab_stops(pilot) -> list[Widget]:
    """The widgets Tab visits on the current screen, in order, once round."""
    screen = pilot.app.screen
    screen.set_focus(None)
    await pilot.pause()
    stops: list[Widget] = []
    for _ in range(80):
        await pilot.press("tab")
        focused = screen.focused
        if focused is None or focused in stops:
            break
        stops.append(focused)
    return stops


def drawn(widget: Widget) -> list[tuple[object, ...]]:
    """The widget as the screen shows it now (its children and scrollbars included), cell by
    cell: character, foreground, background, and whether it is bold, reversed, underlined."""
    region = widget.region
    screen = widget.screen._compositor.render_strips()
    cells = []
    for strip in screen[region.y:region.bottom]:
        for segment in strip.crop(region.x, region.right):
            style = Segment(*segment).style
            if style is None:
                continue
            marked = (bool(style.bold), bool(style.reverse), bool(style.underline))
            for char in segment.text:
                cells.append((char, _rgb(style.color), _rgb(style.bgcolor), marked))
    return cells


def _rgb(color: Color | None) -> tuple[int, int, int] | None:
    if color is None:
        return None
    red, green, blue = color.get_truecolor()
    return red, green, blue


def change(focused: list, blurred: list) -> int:
    """How visibly two drawings differ: 255 for another character, mark or size, else the
    largest change of one colour channel in one cell."""
    if len(focused) != len(blurred):
        return 255
    most = 0
    for (char, fg, bg, mark), (char2, fg2, bg2, mark2) in zip(focused, blurred, strict=True):
        if char != char2 or mark != mark2:
            return 255
        for one, two in ((fg, fg2), (bg, bg2)):
            if one is not None and two is not None:
                most = max(most, *(abs(a - b) for a, b in zip(one, two, strict=True)))
            elif one != two:
                return 255
    return most


async def unseen_stops(pilot) -> list[str]:
    """The Tab stops of the current screen whose focus does not show."""
    screen = pilot.app.screen
    stops = await tab_stops(pilot)
    assert stops, f"no Tab stop on {type(screen).__name__}"
    unseen = []
    for widget in stops:
        screen.set_focus(widget)
        await pilot.pause()
        focused = drawn(widget)
        screen.set_focus(None)
        await pilot.pause()
        if change(focused, drawn(widget)) < VISIBLE:
            unseen.append(f"{type(screen).__name__}: {type(widget).__name__}#{widget.id}")
    return unseen


async def test_every_tab_stop_shows_its_focus(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as (app, pilot, stack):
        await wait_on_screen(pilot, lambda: bool(app.screen.query("#demo-quit")), "the panel")
        unseen = await unseen_stops(pilot)                            # welcome: the panel alone

        await tap(pilot, "demo-cards", KIM)
        await wait_on_screen(pilot, lambda: isinstance(app.screen, MemberScreen), "member screen")
        await wait_on_screen(pilot, lambda: bool(app.screen.query("#demo-quit")), "the panel on it")
        unseen += await unseen_stops(pilot)

        await tap(pilot, "demo-labels", ON_LOAN)                   # a return: the visit has a receipt
        await wait_on_screen(pilot, lambda: len(app.session.returns) == 1, "returned")
        app.screen.set_focus(app.screen.query_one("#done"))
        await pilot.press("enter")
        await wait_on_screen(pilot, lambda: isinstance(app.screen, ReceiptScreen), "receipt")
        await wait_on_screen(pilot, lambda: bool(app.screen.query("#demo-quit")), "the panel on it")
        unseen += await unseen_stops(pilot)

        app.ask_to_quit()
        await wait_on_screen(pilot, lambda: isinstance(app.screen, QuitDemo), "asked to confirm")
        unseen += await unseen_stops(pilot)
        await pilot.press("escape")
        await wait_on_screen(pilot, lambda: not isinstance(app.screen, QuitDemo), "kept going")

        app.end_session()
        await wait_on_screen(pilot, lambda: isinstance(app.screen, WelcomeScreen), "welcome again")
        await tap(pilot, "demo-cards", TECHNICIAN_CARD)
        await wait_on_screen(pilot, lambda: isinstance(app.screen, PinScreen), lambda: f"PIN pad, not {app.screen}")
        await wait_on_screen(pilot, lambda: bool(app.screen.query("#demo-quit")), "the panel on it")
        unseen += await unseen_stops(pilot)
    assert unseen == [], "\n".join(unseen)
