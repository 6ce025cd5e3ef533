"""What every screen shares: the top bar (logo, title, online indicator, language toggle) and a
base that counts any touch as activity and redraws itself when the language changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from kiosk_app.i18n import Lang, switch_label, t

if TYPE_CHECKING:
    from kiosk_app.app import KioskApp


class KioskMixin:
    """Shortcuts to the app and its language for screens and widgets."""

    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)  # type: ignore[attr-defined]

    def tr(self, key: str, **fields: object) -> str:
        lang: Lang = self.kiosk.lang
        return t(lang, key, **fields)


class Logo(Static):
    """The library's mark; five quick taps on it call the technician PIN pad."""

    def on_click(self, event: events.Click) -> None:
        event.stop()
        cast("KioskApp", self.app).logo_tapped()


class OnlineIndicator(KioskMixin, Static):
    """Updated by the app when its ``online`` changes (a per-widget watch on the app would keep
    every screen that ever showed an indicator alive until the next change)."""

    def on_mount(self) -> None:
        self.show(self.kiosk.online)

    def show(self, online: bool) -> None:
        self.update(self.tr("online") if online else self.tr("offline"))
        self.set_class(online, "online")
        self.set_class(not online, "offline")


class LangButton(Button, can_focus=False):
    """The 한국어/English toggle: a touch target only. Were it focusable it would take the focus
    on every new screen, and the next Enter (a keyboard, a wedge scanner's suffix) would switch
    the patron's language."""


class TopBar(KioskMixin, Horizontal):
    def compose(self) -> ComposeResult:
        yield Logo("▤▤", id="logo")
        yield Static(self.tr("app_title"), id="title")
        yield OnlineIndicator(id="online")
        yield LangButton(switch_label(self.kiosk.lang), id="lang", classes="lang")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "lang":
            event.stop()
            self.kiosk.toggle_lang()


class KioskScreen(KioskMixin, Screen[None]):
    """A full patron screen under the top bar.

    Nothing takes the focus by itself: patrons touch, and a focused button would be pressed by
    the next Enter (a keyboard, a wedge scanner's suffix). Tab still reaches every control."""

    AUTO_FOCUS = ""

    def on_click(self) -> None:
        self.kiosk.touch()

    def on_button_pressed(self) -> None:
        self.kiosk.touch()


class KioskModal(KioskMixin, ModalScreen[bool]):
    """A prompt or notice over the current screen."""

    def on_click(self) -> None:
        self.kiosk.touch()
