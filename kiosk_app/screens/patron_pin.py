"""The patron's PIN pad, after the card scan where the library requires a PIN (``patron_pin =
"required"``): digits shown as dots, large keys, backspace, clear, cancel and OK, in the patron's
language. A physical keypad or keyboard works too: digits type digits, Backspace takes one back,
Enter is OK, Escape is cancel.

The screen only collects the digits: OK posts :class:`PatronPinEntered` up to the app, which asks
the library system and tells the screen what it said (:meth:`PatronPinScreen.wrong`); cancel
dismisses it. The digits live in this screen's memory only, and only until OK or cancel."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Static

from hardware.speech import Tone
from kiosk_app.messages import PatronPinEntered, Speak
from kiosk_app.screens.common import KioskModal
from kiosk_app.utterance import Utterance, utter

MAX_DIGITS = 8
"""Library PINs are 4 to 8 digits (Koha's and Evergreen's defaults are 4); more are not taken."""
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "enter")


class PadKey(Button, can_focus=False):
    """A key of the pad: touched, never focused, so Enter from a keypad is always OK and never a
    press of whichever key was touched last."""


class PatronPinScreen(KioskModal):
    """Dismissed with False on cancel; the app closes it once the PIN is right."""

    AUTO_FOCUS = ""  # nothing on the pad takes the focus: its keys are touched or typed

    def __init__(self) -> None:
        super().__init__(id="patron-pin-screen")
        self._digits = ""
        self.message = ""
        self.checking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="patron-pin"):
            yield Static(self.message or self.tr("patron_pin_title"), id="patron-pin-title")
            yield Static(self._dots(), id="patron-pin-dots")
            with Grid(id="patron-keypad"):
                for key in KEYS:
                    label = {"back": "⌫", "enter": self.tr("ok")}.get(key, key)
                    yield PadKey(label, id=f"patron-key-{key}", variant="primary" if key == "enter" else "default")
            with Horizontal(id="patron-pin-actions"):
                yield PadKey(self.tr("pin_clear"), id="patron-key-clear")
                yield PadKey(self.tr("patron_pin_cancel"), id="patron-key-cancel")

    def _dots(self) -> str:
        return " ".join("●" * len(self._digits)) or "_"

    @property
    def typed(self) -> int:
        """How many digits are typed (what the screen shows of them)."""
        return len(self._digits)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.press((event.button.id or "").removeprefix("patron-key-"))

    def on_key(self, event: events.Key) -> None:
        key = {"backspace": "back", "escape": "cancel", "enter": "enter",
               "delete": "clear"}.get(event.key, event.character)
        if key and (key.isdigit() or key in ("back", "cancel", "enter", "clear")):
            event.stop()
            event.prevent_default()
            self.press(key)

    def back(self) -> None:
        """The keypad's back: cancel, as the pad's own key."""
        self.press("cancel")

    def press(self, key: str) -> None:
        self.active()
        if key == "cancel":
            self._digits = ""
            self.dismiss(False)
            return
        if self.checking:
            return  # the PIN sent is being checked: the next one waits for its answer
        if key == "enter":
            if self._digits:
                # pydantic is loaded with the core, before any pad can open (kiosk_app.first_paint)
                from pydantic import SecretStr

                pin, self._digits = SecretStr(self._digits), ""
                self.checking = True
                self._say(self.tr("patron_pin_checking"))
                self.post_message(PatronPinEntered(pin))
        elif key == "clear":
            self._digits = ""
        elif key == "back":
            self._digits = self._digits[:-1]
        elif key.isdigit() and len(self._digits) < MAX_DIGITS:
            self._digits += key
        self.query_one("#patron-pin-dots", Static).update(self._dots())

    def wrong(self, tries_left: int | None) -> None:
        """The library system said the PIN is not the card's: say so, and how many tries remain
        when it said; the pad takes the next PIN."""
        self.checking = False
        if tries_left is None:
            self._say(self.tr("patron_pin_wrong"), Tone.ERROR)
        else:
            self._say(self.trn("patron_pin_wrong_left", "patron_pin_wrong_left_plural", tries_left,
                               left=tries_left), Tone.ERROR)

    def spoken(self) -> Utterance:
        """The pad's prompt; the digits are never spoken, not even how many were typed."""
        return utter(self.lang, [self.message or self.tr("patron_pin_title")])

    def _say(self, message: str, tone: Tone | None = None) -> None:
        if message:
            self.post_message(Speak(utter(self.lang, [message], tone=tone)))
        self.message = message
        self.query_one("#patron-pin-title", Static).update(message)
        self.set_class(bool(message), "said")
