"""The first screen: what to do in one glance."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from kiosk_app.screens.common import KioskScreen, LowSpacer, TopBar
from kiosk_app.utterance import Utterance, utter

CARD_ICON = "┌──────────┐\n│ ▒▒  ▌▐▌▐ │\n│ ▒▒  ▌▐▌▐ │\n└──────────┘"
BOOK_ICON = "┌────────┐\n│ ▌▐█▌▐▌ │\n│        │\n└────────┘"


class WelcomeScreen(KioskScreen):
    def compose(self) -> ComposeResult:
        yield TopBar(self.view)
        yield LowSpacer(id="low-spacer")
        with Vertical(id="welcome"):
            yield Static(self.tr("welcome_heading"), id="heading", classes="heading")
            with Horizontal(id="choices"):
                with Vertical(classes="choice"):
                    yield Static(CARD_ICON, classes="icon")
                    yield Static(self.tr("welcome_borrow"), classes="choice-text")
                with Vertical(classes="choice"):
                    yield Static(BOOK_ICON, classes="icon")
                    yield Static(self.tr("welcome_return"), classes="choice-text")

    def spoken(self) -> Utterance:
        return utter(self.lang, [self.tr("say_welcome")])
