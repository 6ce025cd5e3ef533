"""The demo panel as a newcomer meets it, on the real stand-in and agent: a tap scans the row
tapped, switches say their state in words and apply one at a time (the last press wins), the
descriptions follow what happened, focus never falls on "quit demo" by itself and quitting asks."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import httpx
import pytest
from textual.widgets import OptionList, Static

from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import KIM, ON_LOAN, OVERDUE
from kiosk_demo.panel import FaultSwitch, QuitDemo
from kiosk_testing.pilot import wait_on_screen
from tests.demo.demo_pilot import laid_out, running_demo, tap


def row_of(options: OptionList, code: str) -> int:
    """The line, within the list as it is drawn now, where the option of ``code`` starts."""
    return options._index_to_line[options.get_option_index(code)] - round(options.scroll_y)


async def test_a_tap_scans_the_row_tapped_whether_the_list_is_focused_or_not(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as (app, pilot, stack):
        labels = await laid_out(pilot, "#demo-labels")
        assert not labels.has_focus
        await pilot.click("#demo-labels", offset=(4, row_of(labels, OVERDUE)))
        await wait_on_screen(pilot, lambda: len(app.session.returns) == 1, "a return")
        assert app.session.returns[0].barcode == OVERDUE, "the row tapped, not the one above"

        labels = await laid_out(pilot, "#demo-labels")     # the return screen's panel
        await pilot.click("#demo-labels", offset=(4, row_of(labels, ON_LOAN)))
        await wait_on_screen(pilot, lambda: len(app.session.returns) == 2, "a second return")
        assert app.session.returns[1].barcode == ON_LOAN


async def test_switches_say_on_or_off_and_the_descriptions_follow_the_state(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as (app, pilot, stack):
        switch = await laid_out(pilot, "#demo-central_unreachable")
        assert switch.label.plain.endswith(": off")
        await wait_on_screen(pilot, lambda: _description(app, OVERDUE) == "on loan to 김민지, overdue by 5 days",
                             lambda: f"described from the stand-in: {_description(app, OVERDUE)!r}")

        await pilot.click("#demo-central_unreachable")
        await wait_on_screen(pilot, lambda: stack.faults.central_unreachable and app.note == "", "stand-in stopped")
        assert app.screen.query_one("#demo-central_unreachable", FaultSwitch).label.plain.endswith(": ON")
        await tap(pilot, "demo-labels", OVERDUE)
        await wait_on_screen(pilot, lambda: "in the outbox" in _description(app, OVERDUE),
                             lambda: f"the return waiting in the outbox: {_description(app, OVERDUE)!r}")

        await pilot.click("#demo-central_unreachable")
        await wait_on_screen(pilot, lambda: "1 delivered" in app.outbox_line, "delivered after recovery", 30)
        await wait_on_screen(pilot, lambda: _description(app, OVERDUE) == "available",
                             lambda: f"returned and delivered: {_description(app, OVERDUE)!r}")
        assert "overdue" not in _description(app, KIM), _description(app, KIM)
        assert app.screen.query_one("#demo-central_unreachable", FaultSwitch).label.plain.endswith(": off")


def _description(app, code: str) -> str:
    """The dim line under a card or label, as the current screen's panel draws it."""
    for options in app.screen.query("DemoPanel OptionList").results(OptionList):
        if code in {option.id for option in options.options}:
            return str(options.get_option(code).prompt).split("\n", 1)[1].removeprefix("[dim]").removesuffix("[/dim]")
    return ""


@pytest.mark.parametrize("presses, unreachable", [(6, False), (5, True)])
async def test_rapid_presses_apply_one_at_a_time_and_the_last_press_wins(
        tmp_path: Path, caplog, presses: int, unreachable: bool) -> None:
    caplog.set_level(logging.INFO)
    async with running_demo(tmp_path) as (app, pilot, stack):
        await laid_out(pilot, "#demo-central_unreachable")
        for _ in range(presses):
            await pilot.click("#demo-central_unreachable")
        await wait_on_screen(pilot, lambda: not _applying(app) and app.note != "applying…",
                             lambda: f"settled (note {app.note!r})", 30)
        assert app.note == ""
        assert app.screen.query_one("#demo-central_unreachable", FaultSwitch).value is unreachable
        assert stack.faults.central_unreachable is unreachable
        if unreachable:
            with pytest.raises(httpx.ConnectError):
                httpx.get(stack.url + "/health")
        else:
            assert httpx.get(stack.url + "/health").status_code == 200
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    assert "not applied" not in caplog.text


def _applying(app) -> bool:
    return any(worker.group == "demo-faults" and not worker.is_finished for worker in app.workers)


async def test_a_switch_that_cannot_be_applied_says_why_in_full(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as (app, pilot, stack):
        await laid_out(pilot, "#demo-central_unreachable")
        await pilot.click("#demo-central_unreachable")
        await wait_on_screen(pilot, lambda: stack.faults.central_unreachable and app.note == "", "stand-in stopped")
        with socket.socket() as squatter:             # the port taken while the stand-in is away
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", stack.port))
            squatter.listen()
            await pilot.click("#demo-central_unreachable")
            await wait_on_screen(pilot, lambda: app.note.startswith("not applied"), "the failure told", 30)
        note = app.screen.query_one("#demo-note", Static)
        await pilot.pause()
        assert "the stand-in exited" in app.note and "central.log" in app.note, "the whole message"
        drawn = "".join(strip.text for strip in note.render_lines(note.region.reset_offset)).replace(" ", "")
        assert app.note.replace(" ", "") in drawn, "wrapped, not cut"
        assert stack.faults.central_unreachable, "the stand-in did not start: still recorded as unreachable"
        assert app.screen.query_one("#demo-central_unreachable", FaultSwitch).value, \
            "the switch says what the patron meets: the central API is still away"


async def test_focus_does_not_fall_on_quit_demo_and_quitting_asks(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as (app, pilot, stack):
        await tap(pilot, "demo-cards", KIM)
        await wait_on_screen(pilot, lambda: isinstance(app.screen, MemberScreen), "member screen")
        cancel = await laid_out(pilot, "#cancel-1")
        app.screen.set_focus(cancel)
        await pilot.press("enter")                     # 예약 취소: the button goes away
        await wait_on_screen(pilot, lambda: not app.screen.query("#cancel-1"), "reservation cancelled")
        await pilot.pause(0.3)
        assert _focused_id(app) != "demo-quit"

        for button, then in (("#done", ReceiptScreen), ("#finish", WelcomeScreen)):   # 마치기, twice
            app.screen.set_focus(await laid_out(pilot, button))
            await pilot.press("enter")
            await wait_on_screen(pilot, lambda: isinstance(app.screen, then), then.__name__)
            await pilot.pause(0.3)
            assert _focused_id(app) != "demo-quit", f"on {then.__name__}"
        await pilot.press("enter")
        assert app.is_running and not isinstance(app.screen, QuitDemo)

        quit_button = await laid_out(pilot, "#demo-quit")
        app.screen.set_focus(quit_button)
        await pilot.press("enter")
        await wait_on_screen(pilot, lambda: isinstance(app.screen, QuitDemo), "asked to confirm")
        assert "quit the demo?" in str(app.screen.query_one(Static).content)
        assert app.screen.focused is not None and app.screen.focused.id == "quit-no", "no by default"
        await pilot.press("enter")
        await wait_on_screen(pilot, lambda: not isinstance(app.screen, QuitDemo), "kept going")
        assert app.is_running


def _focused_id(app) -> str | None:
    focused = app.screen.focused
    return None if focused is None else focused.id

