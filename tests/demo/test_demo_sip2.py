"""``kiosk demo --central sip2``: the same patron story over the fake ACS, started as a process of
its own, with the app and the agent configured for SIP2. "Central unreachable" stops the ACS
(connection refused) and starting it again keeps its records; the two switches that have no
meaning over SIP2 say so and change nothing."""

from __future__ import annotations

import socket
from pathlib import Path
from unittest import mock

import pytest

from kiosk_app.card_lookup import card_secret
from kiosk_app.cli import main
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_data.codes import HOLD_READY, KIM, ON_LOAN, OVERDUE
from kiosk_demo.demo import demo_app, demo_parts
from kiosk_demo.stack import NOT_OVER_SIP2
from kiosk_testing.pilot import wait_on_screen
from kiosk_testing.sip2_load import RawSip2
from sync_agent.central.adapters import open_central
from sync_agent.wire.sip2 import Frame
from tests.demo.test_demo import SIZE, alive, switch, tap


async def tap_shown(pilot, list_id: str, code: str) -> None:
    """``tap`` once the current screen's panel list is laid out: a tap while a new screen's panel
    is still being composed lands on nothing."""
    selector = f"DemoPanel #{list_id}"

    def laid_out() -> bool:
        found = pilot.app.screen.query(selector)
        return bool(found) and found.first().region.area > 0
    await wait_on_screen(pilot, laid_out, f"{selector} laid out on screen")
    await tap(pilot, list_id, code)


def _circulation(port: int, barcode: str) -> str:
    """The copy's circulation status as the ACS itself answers it (17/18)."""
    raw = RawSip2(port)
    try:
        return raw.ask(Frame("17", "20261122    120000", (("AO", "0042"), ("AB", barcode)))).flag(0, 2)
    finally:
        raw.close()


async def test_the_story_over_sip2_with_the_acs_stopped_and_started_again(tmp_path: Path) -> None:
    with demo_parts(None, tmp_path, central="sip2") as (settings, stack, scanner, store):
        assert settings.central == "sip2" and settings.sip2_port == stack.port
        children = stack.children()
        assert len(children) == 2 and all(alive(pid) for pid in children)
        async with open_central(settings, owner="app", member_key=card_secret(settings)) as client:
            app = demo_app(settings, store, client, stack, scanner, health_every_s=None)
            no_http = mock.patch("kiosk_demo.demo.ask_library",  # the ACS's port speaks SIP2, not HTTP
                                 side_effect=AssertionError("the panel asked the ACS's port over HTTP"))
            with no_http, mock.patch.object(app, "_describe", wraps=app._describe) as described:
                async with app.run_test(size=SIZE) as pilot:
                    await tap(pilot, "demo-labels", ON_LOAN)
                    await wait_on_screen(pilot, lambda: isinstance(app.screen, ReturnScreen), "return screen")
                    await wait_on_screen(pilot, lambda: "1 delivered" in app.outbox_line,
                                         "checkin delivered by the agent")
                    assert _circulation(stack.port, ON_LOAN) == "03"
                    await wait_on_screen(pilot,
                                         lambda: "sent to the library system" in app.descriptions.get(ON_LOAN, ""),
                                         "the panel's line follows the return, from the outbox")
                    assert described.called

                    await switch(pilot, "#demo-book_down")  # no such thing over SIP2: said, not applied
                    await wait_on_screen(pilot, lambda: app.note != "applying…", "the switch answered")
                    assert NOT_OVER_SIP2 in app.note and not stack.faults.book_down

                    app.end_session()
                    await wait_on_screen(pilot, lambda: not isinstance(app.screen, ReturnScreen), "welcome again")
                    await switch(pilot, "#demo-central_unreachable")
                    await wait_on_screen(pilot, lambda: stack.faults.central_unreachable and app.note == "",
                                         "ACS stopped")
                    with pytest.raises(ConnectionRefusedError):
                        socket.create_connection(("127.0.0.1", stack.port), 1).close()
                    await tap_shown(pilot, "demo-labels", OVERDUE)
                    await wait_on_screen(pilot, lambda: "1 pending" in app.outbox_line,
                                         "the return waits in the outbox")

                    await switch(pilot, "#demo-central_unreachable")
                    await wait_on_screen(pilot, lambda: "2 delivered" in app.outbox_line, "drained after the restart",
                                         timeout_s=30)
                    assert _circulation(stack.port, ON_LOAN) == "03", "the restarted ACS kept its records"
                    assert _circulation(stack.port, OVERDUE) == "03"

                    app.end_session()
                    await wait_on_screen(pilot, lambda: not isinstance(app.screen, ReturnScreen), "welcome again")
                    await tap_shown(pilot, "demo-cards", KIM)
                    await wait_on_screen(pilot, lambda: isinstance(app.screen, MemberScreen), "member screen")
                    await tap_shown(pilot, "demo-labels", HOLD_READY)
                    await wait_on_screen(pilot, lambda: len(app.session.borrows) == 1, "borrowed over SIP2")
                    assert _circulation(stack.port, HOLD_READY) == "04"
    assert not any(alive(pid) for pid in children), "ACS and agent stopped and reaped"


def test_the_command_takes_central_sip2(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.toml"
    assert main(["--config", str(missing), "demo", "--central", "sip2", "--dir", str(tmp_path / "d")]) == 2
    assert "configuration file not found" in capsys.readouterr().err
