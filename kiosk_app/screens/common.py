"""What every screen shares: the top bar (logo, title, online indicator, "call staff", language
toggle, the patron's "view" button), the spacer of low position, and a base that counts any touch
as activity.

Attributes down, messages up: a screen draws from the :class:`~kiosk_app.view.KioskView` the app
hands it, and says what the patron did by posting a message (:mod:`kiosk_app.messages`); it never
calls the app, nor knows its class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from kiosk_app.i18n import Lang, switch_label, t, tn
from kiosk_app.messages import ChooseView, PatronActive, Speak, StaffCalled, TechnicianRequested, ToggleLanguage
from kiosk_app.utterance import Utterance
from kiosk_app.view import KioskView

LOGO_TAPS = 5
LOGO_TAP_WINDOW_S = 3.0


class Translated:
    """``tr``: a text in the language handed down (``lang``)."""

    lang: Lang

    def tr(self, key: str, **fields: object) -> str:
        return t(self.lang, key, **fields)

    def trn(self, key: str, plural_key: str, n: int, **fields: object) -> str:
        return tn(self.lang, key, plural_key, n, **fields)


class Logo(Static):
    """The library's mark; five taps on it within a few seconds ask for the technician (the
    taps are counted here, and only the request goes up)."""

    def __init__(self, *args: Any, clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._taps: list[float] = []

    def on_click(self, event: events.Click) -> None:
        event.stop()
        now = self._clock()
        self._taps = [tap for tap in self._taps if now - tap < LOGO_TAP_WINDOW_S] + [now]
        if len(self._taps) >= LOGO_TAPS:
            self._taps = []
            self.post_message(TechnicianRequested())


class OnlineIndicator(Translated, Static):
    """Told by the app when its ``online`` changes (a per-widget watch on the app would keep
    every screen that ever showed an indicator alive until the next change)."""

    def __init__(self, lang: Lang, online: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.online = online

    def on_mount(self) -> None:
        self.show(self.online)

    def show(self, online: bool) -> None:
        self.online = online
        self.update(self.tr("online") if online else self.tr("offline"))
        self.set_class(online, "online")
        self.set_class(not online, "offline")


class LangButton(Button, can_focus=False):
    """The 한국어/English toggle: a touch target only. Were it focusable it would take the focus
    on every new screen, and the next Enter (a keyboard, a wedge scanner's suffix) would switch
    the patron's language."""


# -- call staff: one button of the top bar (its CSS: "Call staff" in kiosk.tcss) --------------------

HELP_SHORT_BELOW = 50
"""Under this many columns (the narrow layouts) the button says an icon and "직원"/"Staff"."""
HELP_ICON_BELOW = 30
"""Under this many columns (portrait at 200 %: 22) the icon alone, or the online indicator beside it
would lose its words."""
HELP_ICON = "☎"


class HelpButton(Translated, Button, can_focus=False):
    """"Call staff" (직원 호출) on every patron screen: a touch target only, like the language
    button (an Enter from a wedge scanner must not call staff). Its words shorten on a narrow bar."""

    def __init__(self, lang: Lang, **kwargs: Any) -> None:
        self.lang = lang
        super().__init__(self.tr("help_call"), **kwargs)

    def fit(self, width: int) -> None:
        self.label = (HELP_ICON if width < HELP_ICON_BELOW else self.tr("help_call_short")
                      if width < HELP_SHORT_BELOW else self.tr("help_call"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(StaffCalled())


class ViewButton(Button, can_focus=False):
    """"View": opens the chooser of high contrast and low position (screens/view_choice.py); a
    touch target only, like the language toggle. F10 moves the controls low without it."""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(ChooseView())


VIEW_ICON = "Aa"
"""The "view" button's label on narrow grids, where the word would leave the online indicator no
room for its own."""


class LowSpacer(Static):
    """Under the top bar of each patron screen: shown only in low position, where it takes the
    upper part of the screen so that every control is below it (kiosk.tcss)."""


class TopBar(Translated, Horizontal):
    def __init__(self, view: KioskView) -> None:
        super().__init__()
        self.lang = view.lang
        self.online = view.online

    def compose(self) -> ComposeResult:
        yield Logo("▤▤", id="logo")
        yield Static(self.tr("app_title"), id="title")
        yield OnlineIndicator(self.lang, self.online, id="online")
        yield HelpButton(self.lang, id="help", classes="help", variant="warning")
        yield LangButton(switch_label(self.lang), id="lang", classes="lang")
        yield ViewButton(self.tr("view_button"), id="view", classes="view")
        icon = ViewButton(VIEW_ICON, id="view-icon", classes="view")  # narrow grids: kiosk.tcss shows one
        icon.styles.line_pad = 0  # the button's cells are the label's (CSS takes no line-pad of 0)
        yield icon

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(HelpButton).fit(event.size.width)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "lang":
            event.stop()
            self.post_message(ToggleLanguage())


class Viewed(Translated):
    """A screen drawn from the view the app hands it (``view``, set before it is shown)."""

    view: KioskView

    @property
    def lang(self) -> Lang:  # type: ignore[override]  # read from the view, where Translated has an attribute
        return self.view.lang

    BACK: ClassVar[str] = ""
    """The selector of the button that is this screen's way back, pressed by the keypad's back
    (Escape, :mod:`kiosk_app.keypad`); "" where there is none (the welcome screen)."""

    def back(self) -> None:
        """The keypad's back: the screen's back button pressed, as a touch would."""
        if self.BACK:
            for button in self.query(self.BACK).results(Button):  # type: ignore[attr-defined]  # mixed into a Screen
                button.press()
                return

    def active(self) -> None:
        """The patron touched something: tell the app, which keeps the visit alive."""
        self.post_message(PatronActive())  # type: ignore[attr-defined]  # mixed into a Screen

    def spoken(self) -> Utterance | None:
        """What the screen says when it appears (its prompt; a notice's why and next step), in
        the language handed down; None: nothing (the technician's screens)."""
        return None

    def on_mount(self) -> None:
        utterance = self.spoken()
        if utterance is not None:
            self.post_message(Speak(utterance))  # type: ignore[attr-defined]  # mixed into a Screen


class KioskScreen(Viewed, Screen[None]):
    """A full patron screen under the top bar.

    Nothing takes the focus by itself: patrons touch, and a focused button would be pressed by
    the next Enter (a keyboard, a wedge scanner's suffix). Tab still reaches every control."""

    AUTO_FOCUS = ""

    def on_click(self) -> None:
        self.active()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.active()


class KioskModal(Viewed, ModalScreen[bool]):
    """A prompt or notice over the current screen.

    Its first button takes the focus (an Enter answers it), without scrolling to it: where the
    text is longer than the screen is high, the dialog is read from the top and its buttons stay
    at its foot (kiosk.tcss)."""

    AUTO_FOCUS = ""

    def on_mount(self) -> None:
        first = next((button for button in self.query(Button) if button.focusable), None)
        if first is not None:
            self.set_focus(first, scroll_visible=False)

    def on_click(self) -> None:
        self.active()
