"""A kiosk app under Textual's Pilot, as the app's and the demo's tests drive it: its screen read
as a patron reads it, and waits that let the app run between looks (scans through a pty and the
agent's answers arrive on their own time, so a fixed pause would be a guess)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.widgets import Button, Static

from kiosk_app.app import KioskApp
from kiosk_app.i18n import NO_BREAK
from kiosk_testing.waiting import What, wait_until_async

T = TypeVar("T")


def screen_text(app: KioskApp) -> str:
    """Every text on the current screen (statics and button labels), as plain text (the blank
    that keeps a date's parts together, i18n.NO_BREAK, read as a space)."""
    parts = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Button):
            parts.append(str(widget.label))
        elif isinstance(widget, Static):
            visual = widget.visual
            parts.append(getattr(visual, "plain", str(widget.content)))
    return "\n".join(parts).replace(NO_BREAK, " ")


async def wait_on_screen(pilot: Any, predicate: Callable[[], T], what: What = "the awaited state",
                         timeout_s: float = 20.0) -> T:
    """:func:`~kiosk_testing.waiting.wait_until_async` with the app running between looks (a
    pause, then its patron queue drained); a failure shows the screen as it was then."""
    async def tick() -> None:
        await pilot.pause(0.02)
        await pilot.app.drain()

    def seen() -> str:
        return f"{what() if callable(what) else what}; the screen:\n{screen_text(pilot.app)}"

    return await wait_until_async(predicate, timeout_s, seen, tick=tick)
