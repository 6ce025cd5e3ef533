"""The patron's view for the visit, behind the top bar's "view" button: high contrast on or off,
low position (every control in the lower part of the screen, for a wheelchair user) on or off.
Each tap switches at once and the chooser stays, showing the new state; "close" ends it. Both go
back to the library's defaults when the visit ends."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Static

from kiosk_app.messages import ToggleContrast, ToggleLow
from kiosk_app.screens.common import KioskModal
from kiosk_app.utterance import Utterance, utter


class ViewScreen(KioskModal):
    def compose(self) -> ComposeResult:
        view = self.view
        contrast = self.tr("view_contrast_on") if view.high_contrast else self.tr("view_contrast_off")
        low = self.tr("view_low_on") if view.low else self.tr("view_low_off")
        with Vertical(id="dialog"):
            yield Static(self.tr("view_title"), id="why")
            with Vertical(id="view-choices"):
                yield Button(contrast,
                             id="contrast")
                yield Button(low, id="low")
                yield Button(self.tr("view_close"), id="view-close", variant="primary")

    def spoken(self) -> Utterance:
        return utter(self.lang, [self.tr("view_title")])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.active()
        if event.button.id == "contrast":
            self.post_message(ToggleContrast())
        elif event.button.id == "low":
            self.post_message(ToggleLow())
        else:
            self.dismiss(True)
