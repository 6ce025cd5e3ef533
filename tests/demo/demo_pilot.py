"""Driving the demo with Pilot: the real stand-in and agent (``demo_parts``), the app headless,
and the panel operated as a presenter does. Shared by the demo's Pilot tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot
from textual.widget import Widget

from kiosk_demo.demo import DemoApp, demo_app, demo_parts
from kiosk_demo.stack import DemoStack
from kiosk_testing.pilot import wait_on_screen
from sync_agent.central.rest.client import CentralClient

SIZE = (140, 40)


async def laid_out(pilot, selector: str) -> Widget:
    """The current screen's widget, once its panel has composed and laid it out: each new screen
    gets its panel asynchronously, and a tap before that lands on nothing (or is undone by the
    panel's mount, which clears the lists' highlight)."""
    def ready() -> bool:
        found = pilot.app.screen.query(selector)
        return bool(found) and found.first().region.area > 0
    await wait_on_screen(pilot, ready, f"{selector} laid out on screen")
    return pilot.app.screen.query_one(selector)


async def click(pilot, selector: str) -> None:
    """Click a panel control once it is laid out."""
    await laid_out(pilot, selector)
    await pilot.click(selector)


async def switch(pilot, selector: str) -> None:
    """Flip a fault switch as a tap on it does (the same ``Checkbox.Changed`` message), once the
    current screen's panel has laid it out. Flipped directly rather than by a pointer position:
    a click computed while the new screen's panel settles can land beside it."""
    (await laid_out(pilot, selector)).toggle()
    await pilot.pause()


async def tap(pilot, list_id: str, code: str) -> None:
    """Select a code in the panel's list, as a tap (or Enter) on it does."""
    options = await laid_out(pilot, f"DemoPanel #{list_id}")
    options.focus()
    options.highlighted = options.get_option_index(code)
    await pilot.press("enter")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose only once reaped; Popen.wait reaps it.
    return Path(f"/proc/{pid}").exists()


@asynccontextmanager
async def running_demo(folder: Path) -> AsyncIterator[tuple[DemoApp, Pilot, DemoStack]]:
    """The demo as ``kiosk demo`` runs it, headless at the size it wants; everything stopped
    on the way out."""
    with demo_parts(None, folder) as (settings, stack, scanner, store):
        async with CentralClient(settings, owner="app") as client:
            app = demo_app(settings, store, client, stack, scanner, health_every_s=None)
            async with app.run_test(size=SIZE) as pilot:
                yield app, pilot, stack
