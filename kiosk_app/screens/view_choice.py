"""The patron's view for the visit, behind the top bar's "view" button (or F11): everything
enlarged to 200 % (where the display can be: on the kiosk's own stack), high contrast, low position
(every control in the lower part of the screen, for a wheelchair user). Each choice switches at
once and the chooser stays, its labels saying the new state and its focus where the keypad left
it; "close" ends it. All go back to the library's defaults when the visit ends."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Static

from kiosk_app.messages import ToggleContrast, ToggleEnlarge, ToggleLow
from kiosk_app.screens.common import KioskModal
from kiosk_app.utterance import Utterance, utter
from kiosk_app.view import KioskView

TOGGLES = {"enlarge": ToggleEnlarge, "contrast": ToggleContrast, "low": ToggleLow}


class ViewScreen(KioskModal):
    BACK = "#view-close"

    def compose(self) -> ComposeResult:
        labels = self._labels(self.view)
        with Vertical(id="dialog"):
            yield Static(self.tr("view_title"), id="why")
            with Vertical(id="view-choices"):
                for name, label in labels.items():
                    yield Button(label, id=name)
                yield Button(self.tr("view_close"), id="view-close", variant="primary")

    def _labels(self, view: KioskView) -> dict[str, str]:
        """Each choice's words with its state now; no enlargement where the display has none."""
        labels = {"enlarge": self.tr("view_enlarge_on") if view.enlarged else self.tr("view_enlarge_off"),
                  "contrast": self.tr("view_contrast_on") if view.high_contrast else self.tr("view_contrast_off"),
                  "low": self.tr("view_low_on") if view.low else self.tr("view_low_off")}
        if not view.can_enlarge:
            del labels["enlarge"]
        return labels

    def show(self, view: KioskView) -> None:
        """The app hands down the view after a change: the labels say it."""
        self.view = view
        for name, label in self._labels(view).items():
            for button in self.query(f"#{name}").results(Button):
                button.label = label

    def spoken(self) -> Utterance:
        """The title, then each choice as it stands: a patron on the keypad hears what there is."""
        return utter(self.lang, [self.tr("view_title"), *self._labels(self.view).values()])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.active()
        toggle = TOGGLES.get(event.button.id or "")
        if toggle is not None:
            self.post_message(toggle())
        else:
            self.dismiss(True)
