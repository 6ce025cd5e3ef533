"""The physical keypad: a whole visit without touching the screen.

Korea's kiosk accessibility criteria ask for a physical keypad (arrows, OK, back, help, digits)
with which a patron who cannot see or reach the screen does everything a touch does, hearing
where they are. So:

- the arrows move the focus from control to control of the screen in front (up and left back,
  down and right on), and the control reached is said ("Renew", with the book's title only in the
  patron's private mode);
- OK (Enter) presses it, as a touch would;
- back (Escape) is the screen's own way back (:meth:`kiosk_app.screens.common.Viewed.back`);
- help (F9) calls staff, the digits type a PIN, F1-F8 set the voice (:data:`kiosk_app.voice.KEYS`),
  F10 moves the controls low; F11 opens the view (enlargement to 200 %, high contrast, low
  position), F12 switches between 한국어 and English.

The arrows and back are bindings of priority: a focused button inside a scrolling list would
otherwise scroll the list instead of moving on.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Button

from kiosk_app.i18n import Lang
from kiosk_app.utterance import Utterance, utter

KEYPAD = (
    ("up,left", "focus_step(-1)", "the previous control"),
    ("down,right", "focus_step(1)", "the next control"),
    ("escape", "keypad_back", "back"),
    ("f11", "choose_view", "view: enlarge, contrast, low position"),
    ("f12", "toggle_language", "한국어 / English"),
)
"""(keys, app action, what it does); F1-F10 are :data:`kiosk_app.voice.KEYS` and the app's."""


class PrivateLabel(Button):
    """A button whose label names something private (an e-mail address): said aloud as
    ``public`` unless the patron chose to hear details."""

    def __init__(self, label: str, public: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.public = public


def controls(screen: Screen[object]) -> list[Button]:
    """The buttons the keypad reaches on ``screen``, in the order Tab would take."""
    return [widget for widget in screen.focus_chain if isinstance(widget, Button)]


def step(screen: Screen[object], by: int) -> Button | None:
    """The control ``by`` places from the focused one (the first or last where none is focused),
    round the ends; None where the screen has none."""
    buttons = controls(screen)
    if not buttons:
        return None
    focused = screen.focused
    if focused not in buttons:
        return buttons[0] if by > 0 else buttons[-1]
    return buttons[(buttons.index(focused) + by) % len(buttons)]


def said_on_focus(button: Button, lang: Lang) -> Utterance:
    """The control's words; a row's button (renew, cancel) names its book in the details."""
    label = str(button.label)
    public = button.public if isinstance(button, PrivateLabel) else label
    parent = button.parent
    titles = [str(title.render()) for title in parent.query(".row-title")] if parent is not None \
        and parent.has_class("row") else []
    return utter(lang, [public], [label, *titles])
