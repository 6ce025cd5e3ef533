"""The technician PIN pad: touch (or keyboard) digits, checked against the configured scrypt hash off the event
loop; five wrong tries lock it (kiosk_app.pin_guard), and the time left ticks down on screen."""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Button, Static

from kiosk_app.screens.common import KioskModal
from kiosk_app.techpin import MAX_DIGITS

if TYPE_CHECKING:
    from pydantic import SecretStr

    from kiosk_app.pin_guard import PinGuard

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "enter")
COUNTDOWN_TICK_S = 1.0


class PinScreen(KioskModal):
    """Dismissed with True for the right PIN; ``pin_hash`` None is a kiosk with no PIN set."""

    BACK = "#pin-cancel"

    def __init__(self, pin_lock: PinGuard, pin_hash: SecretStr | None) -> None:
        super().__init__()
        self.pin_lock = pin_lock
        self.pin_hash = pin_hash
        self.digits = ""
        self.message = ""
        self.checked = 0
        """How many PINs were judged (tests wait on it)."""
        self.locked = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.tr("pin_title"), id="why")
            yield Static("● " * len(self.digits) or " ", id="pin-dots")
            yield Static(self.message, id="pin-message")
            with Grid(id="keypad"):
                for key in KEYS:
                    label = {"clear": self.tr("pin_clear"), "enter": self.tr("ok")}.get(key, key)
                    yield Button(label, id=f"key-{key}", classes="key")
            yield Button(self.tr("back"), id="pin-cancel", classes="wide")

    async def on_mount(self) -> None:  # type: ignore[override]  # Textual awaits an async handler
        await self._show_lock()
        self.set_interval(COUNTDOWN_TICK_S, self._tick)

    async def _tick(self) -> None:
        """Count a lock down; when it ends, take the message away."""
        if self.locked and not await self._show_lock():
            self._say("")

    async def _show_lock(self) -> bool:
        remaining = await asyncio.to_thread(self.pin_lock.remaining_lock_s)
        self.locked = remaining > 0
        if self.locked:
            whole = math.ceil(remaining)
            self._say(self.tr("pin_locked", minutes=whole // 60, seconds=whole % 60))
        return self.locked

    def _say(self, message: str) -> None:
        self.message = message
        self.query_one("#pin-message", Static).update(message)

    def _dots(self) -> None:
        self.query_one("#pin-dots", Static).update("● " * len(self.digits) or " ")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self._press("cancel" if event.button.id == "pin-cancel"
                          else (event.button.id or "").removeprefix("key-"))

    async def on_key(self, event: events.Key) -> None:
        """A technician's keyboard works too: digits, Backspace, Enter, Escape (the keypad's
        buttons would otherwise take Enter as a press of whichever has focus)."""
        key = {"backspace": "back", "escape": "cancel", "enter": "enter"}.get(event.key, event.character)
        if key and (key.isdigit() or key in ("back", "cancel", "enter")):
            event.stop()
            event.prevent_default()
            await self._press(key)

    async def _press(self, key: str) -> None:
        self.active()
        if key == "cancel":
            self.dismiss(False)
        elif key == "clear":
            self.digits = ""
        elif key == "back":
            self.digits = self.digits[:-1]
        elif key == "enter":
            await self._check()
            return
        elif key.isdigit() and len(self.digits) < MAX_DIGITS:
            self.digits += key
        self._dots()

    async def _check(self) -> None:
        try:
            await self._judge()
        finally:
            self.checked += 1

    async def _judge(self) -> None:
        pin, self.digits = self.digits, ""
        self._dots()
        if await self._show_lock():
            return
        encoded = self.pin_hash
        if encoded is None:
            self._say(self.tr("pin_unset"))
            return
        lock = self.pin_lock
        if await asyncio.to_thread(lock.attempt, pin, encoded.get_secret_value()):
            self.dismiss(True)
        elif not await self._show_lock():
            self._say(self.tr("pin_wrong", left=await asyncio.to_thread(lock.tries_left)))
