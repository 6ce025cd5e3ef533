"""Modal prompts: a notice (refusal, busy, wrong input) with the next step, the reserve-and-borrow
offer, and the inactivity "still here?" countdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from hardware.speech import Tone
from kiosk_app.i18n import fmt_won
from kiosk_app.messages import MoreTime
from kiosk_app.screens.common import KioskModal
from kiosk_app.utterance import Utterance, refusal_utterance, utter

if TYPE_CHECKING:
    from kiosk_app.outcomes import Offer, Refusal


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def label_drawing(label: str, isbn: str, prefix: str) -> str:
    """The inside of the front cover with the library label (scan this) beside the back cover
    with the ISBN (not this); ``label`` and ``isbn`` are the localized captions."""
    rows = (
        ("┌────────────────────┐", ""),
        ("│ ▌▐█▌▐▌█▐▌▐█▌▐▌█▐▌▐ │", ""),
        (f"│ {_pad(prefix + '…', 18)} │", "     ▌▐█▌▐▌█▐▌▐█"),
        ("└────────────────────┘", "     978…"),
        (f" ✓ {label}", f" ✗ {isbn}"),
    )
    width = 24
    lines = [f"┌{'─' * width}┐    ┌{'─' * width}┐"]
    lines += [f"│{_pad(' ' + left, width)}│    │{_pad(right, width)}│" for left, right in rows]
    lines.append(f"└{'─' * width}┘    └{'─' * width}┘")
    return "\n".join(lines)


class NoticeScreen(KioskModal):
    """Why nothing happened and what to do next; OK, or the next scan, closes it."""
    BACK = "#ok"

    def __init__(self, refusal: Refusal, drawing: str | None = None) -> None:
        super().__init__(classes="notice")
        self.refusal = refusal
        self.drawing = drawing

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.tr(self.refusal.why, **self.refusal.fields), id="why")
            if self.refusal.reasons:
                yield Static("\n".join("· " + self.tr(reason.key, **reason.fields)
                                       for reason in self.refusal.reasons), id="reasons")
            yield Static(self.tr(self.refusal.next, **self.refusal.fields), id="next")
            if self.refusal.said:  # the library's own words, as text (never markup)
                yield Static(self.tr("library_says", words=escape(self.refusal.said)), id="said")
            if self.drawing:
                yield Static(self.drawing, id="drawing")
            yield Button(self.tr("ok"), id="ok", variant="primary", classes="wide")

    def spoken(self) -> Utterance:
        return refusal_utterance(self.refusal, self.lang)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.active()
        self.dismiss(True)


class OfferScreen(KioskModal):
    """An available book not reserved for the member: reserve (paying the fee the central side
    quoted, shown before the patron confirms) and borrow?"""
    BACK = "#decline"

    def __init__(self, offer: Offer) -> None:
        super().__init__()
        self.offer = offer

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.tr("reserve_offer_title"), id="why")
            yield Static(self.tr("reserve_offer_body", title=escape(self.offer.book.title),
                                 fee=fmt_won(self.offer.fee)), id="next")
            with Horizontal(classes="buttons"):
                yield Button(self.tr("reserve_and_borrow"), id="accept", variant="success")
                yield Button(self.tr("back"), id="decline")

    def spoken(self) -> Utterance:
        body = self.tr("reserve_offer_body", title=self.offer.book.title, fee=fmt_won(self.offer.fee))
        choose = self.tr("say_offer_choose")
        return utter(self.lang, [self.tr("reserve_offer_title"), choose],
                     [self.tr("reserve_offer_title"), body, choose], Tone.ATTENTION)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.active()
        self.dismiss(event.button.id == "accept")


class StillHereScreen(KioskModal):
    """The last seconds before the session is cleared, counted down on screen and said; its one
    button (focused: OK on the keypad answers it) gives the patron more time."""
    BACK = "#continue"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.tr("still_here_title"), id="why")
            yield Static(self._body(self.view.idle_remaining_s), id="countdown")
            yield Button(self.tr("still_here_yes"), id="continue", variant="primary", classes="wide")

    def spoken(self) -> Utterance:
        return utter(self.lang, [self.tr("still_here_title"), self._body(self.view.idle_remaining_s),
                                 self.tr("say_still_here")], tone=Tone.ATTENTION)

    def _body(self, seconds: int) -> str:
        return self.tr("still_here_body", seconds=seconds)

    def count(self, seconds: int) -> None:
        """The app's tick hands down the seconds left."""
        for countdown in self.query("#countdown").results(Static):  # none until composed
            countdown.update(self._body(seconds))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(MoreTime())
        self.dismiss(True)
