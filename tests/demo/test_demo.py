"""``kiosk demo`` end to end: the real stand-in and agent processes, the app headless (Pilot),
scans through the virtual scanner's pty, faults through the stand-in's admin API and process."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from kiosk_app.cli import main
from kiosk_app.i18n import t
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen
from kiosk_app.screens.pin import PinScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.technician import TechScreen
from kiosk_data.codes import BLOCKED, HOLD_READY, KIM, ON_LOAN, OVERDUE, PARK
from kiosk_demo.demo import DemoApp, demo_app, demo_codes, demo_parts
from kiosk_demo.panel import DemoPanel, QuitDemo
from kiosk_demo.stack import DemoStack
from kiosk_testing.pilot import wait_on_screen
from sync_agent.central.rest.client import CentralClient
from sync_agent.settings import Settings
from tests.demo.demo_pilot import (
    SIZE,
    alive,
    click,
    running_demo,
    switch,
    tap,
)


def test_panel_lists_every_demo_card_and_label() -> None:
    cards, labels = demo_codes()
    assert [c.code for c in cards][:3] == [KIM, PARK, BLOCKED]
    assert cards[-1].code == "20042999999996"          # the technician card
    assert len(labels) == 17 and labels[-1].code.startswith("978")
    assert all(code.shows for code in cards + labels)


async def test_return_by_tap_is_delivered_a_fault_shows_the_fallback_and_quit_stops_all(tmp_path: Path) -> None:
    with demo_parts(None, tmp_path) as (settings, stack, scanner, store):
        children = stack.children()
        assert len(children) == 2 and all(alive(pid) for pid in children)
        async with CentralClient(settings, owner="app") as client:
            app = demo_app(settings, store, client, stack, scanner, health_every_s=None)
            async with app.run_test(size=SIZE) as pilot:
                assert pilot.app.screen.query(DemoPanel), "the panel is on the first screen"

                # A return by tap: through the pty to the app, the outbox, the agent, the stand-in.
                await tap(pilot, "demo-labels", ON_LOAN)
                await wait_on_screen(pilot, lambda: isinstance(app.screen, ReturnScreen), "return screen")
                assert app.screen.query(DemoPanel), "the panel follows the patron screens"
                await wait_on_screen(pilot, lambda: "1 delivered" in app.outbox_line, "return delivered")
                keys = httpx.get(stack.url + "/admin/idempotency").json()
                assert list(keys.values()) == [1]
                rented = httpx.get(stack.url + "/rentals", params={"bookId": 2, "status": "rented"}).json()
                assert rented == []

                # Book management down: a borrow answers with the busy fallback, nothing borrowed.
                app.end_session()
                await wait_on_screen(pilot, lambda: not isinstance(app.screen, ReturnScreen), "welcome again")
                await switch(pilot, "#demo-book_down")
                await wait_on_screen(pilot, lambda: stack.faults.book_down and app.note == "",
                                     lambda: f"fault applied (faults {stack.faults}, note {app.note!r})")
                assert httpx.get(stack.url + "/admin/faults").json()["book"]["down"] is True
                await tap(pilot, "demo-cards", KIM)
                await wait_on_screen(pilot, lambda: isinstance(app.screen, MemberScreen), "member screen")
                await tap(pilot, "demo-labels", HOLD_READY)
                await wait_on_screen(pilot, lambda: isinstance(app.screen, NoticeScreen), "busy notice")
                assert t(app.lang, "why_busy") in _text(app)
                assert app.session.borrows == []

                # Back up, from the panel over the notice: the same label borrows the book.
                assert app.screen.query(DemoPanel), "the panel is on the notice too"
                await switch(pilot, "#demo-book_down")
                await wait_on_screen(pilot, lambda: not stack.faults.book_down and app.note == "", "book up")
                await asyncio.sleep(app.settings.duplicate_window_s)   # a new scan, not a repeat
                await tap(pilot, "demo-labels", HOLD_READY)
                await wait_on_screen(pilot, lambda: len(app.session.borrows) == 1, "borrowed")
                assert isinstance(app.screen, MemberScreen)

                await switch(pilot, "#demo-payment_slow")
                await wait_on_screen(pilot, lambda: stack.faults.payment_slow and app.note == "", "slow payment")
                faults = httpx.get(stack.url + "/admin/faults").json()
                assert faults["payment"]["latency_ms"] == [400, 620]
                assert faults["book"]["down"] is False and faults["rental"]["down"] is False

                await click(pilot, "#demo-quit")
                await wait_on_screen(pilot, lambda: isinstance(app.screen, QuitDemo), "asked to confirm")
                assert app.is_running, "one press does not end the demo"
                await pilot.click("#quit-yes")
                await wait_on_screen(pilot, lambda: not app.is_running, "app exit", timeout_s=10)
        assert app.allow_exit
    assert not any(alive(pid) for pid in children), "stand-in and agent stopped and reaped"


async def test_central_unreachable_is_connection_refused_and_returns_pile_up(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as (app, pilot, stack):
        await switch(pilot, "#demo-book_down")
        await wait_on_screen(pilot, lambda: stack.faults.book_down and app.note == "", "book down")
        await switch(pilot, "#demo-central_unreachable")
        await wait_on_screen(pilot, lambda: stack.faults.central_unreachable and app.note == "",
                             "stand-in stopped")
        with pytest.raises(httpx.ConnectError):
            httpx.get(stack.url + "/health")
        await tap(pilot, "demo-labels", OVERDUE)
        await wait_on_screen(pilot, lambda: "1 pending" in app.outbox_line, "return waits in the outbox")
        await wait_on_screen(pilot, lambda: not app.online, "offline indicator")

        await switch(pilot, "#demo-central_unreachable")
        await wait_on_screen(pilot, lambda: "1 delivered" in app.outbox_line, "drained after recovery",
                             timeout_s=30)
        assert httpx.get(stack.url + "/health").status_code == 200
        assert httpx.get(stack.url + "/admin/faults").json()["book"]["down"] is True, \
            "the restarted stand-in gets the switches back"


async def test_the_technician_card_and_the_pin_the_panel_shows_open_diagnostics(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as (app, pilot, stack):
        hint = str(app.screen.query_one("#demo-technician").content)
        assert "PIN 246810" in hint, "the PIN the README gives"
        await tap(pilot, "demo-cards", "20042999999996")
        await wait_on_screen(pilot, lambda: isinstance(app.screen, PinScreen), "PIN pad")
        assert app.screen.query(DemoPanel)
        for key in (*"246810", "enter"):
            await pilot.click(f"#key-{key}")
        await wait_on_screen(pilot, lambda: isinstance(app.screen, TechScreen), "diagnostics")


def test_a_stand_in_that_cannot_start_is_reported_and_leaves_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = DemoStack(tmp_path, Settings(data_dir=tmp_path / "kiosk"), port)
        with pytest.raises(RuntimeError, match="the stand-in exited"):
            stack.start_central()
        stack.close()
    assert stack.children() == []
    assert "address already in use" in (tmp_path / "central.log").read_text().lower()


def test_a_bad_config_file_exits_2_naming_it(tmp_path: Path, capsys, root_logger) -> None:
    # root_logger: the demo's log file handler, installed before the config is read, goes after
    missing = tmp_path / "nowhere.toml"
    assert main(["--config", str(missing), "demo", "--dir", str(tmp_path / "demo")]) == 2
    assert f"{missing}: configuration file not found" in capsys.readouterr().err
    assert not list((tmp_path / "demo").glob("*.sqlite3"))


def _text(app: DemoApp) -> str:
    from textual.widgets import Static
    return "\n".join(str(getattr(w.visual, "plain", w.content)) for w in app.screen.query(Static))
