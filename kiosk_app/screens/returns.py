"""Returns without a card: each scanned book joins the list with its outcome and fine estimate."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Static

from kiosk_app.i18n import Lang, fmt_won
from kiosk_app.messages import FinishVisit
from kiosk_app.screens.common import KioskScreen, LowSpacer, TopBar, Translated
from kiosk_app.session import Returned, ReturnLine
from kiosk_app.utterance import Utterance, utter

STATUS_OF = {
    Returned.RETURNED: "returned",
    Returned.SAVED: "returned_offline",
    Returned.UNCHECKED: "return_unchecked",
    Returned.ALREADY: "return_already",
    Returned.NOT_ON_LOAN: "return_not_on_loan",
    Returned.ON_HOLD: "return_on_hold",
}
"""The words of each outcome; only a return the central side confirmed is "returned"."""


class ReturnRow(Translated, Vertical):
    """One scanned book: title, what became of it (✓ only for an accepted return; "not on loan",
    "on hold" and "already returned" add nothing), and the fine if late."""

    def __init__(self, line: ReturnLine, lang: Lang) -> None:
        outcome = line.outcome
        classes = "row" if outcome.recorded else "row not-returned"
        super().__init__(classes=classes)
        self.line = line
        self.lang = lang

    def compose(self) -> ComposeResult:
        line = self.line
        mark = "✓" if line.outcome.recorded else "•"
        yield Static(f"{mark} {escape(line.title or self.tr('unknown_title'))}  [dim]{line.barcode}[/]",
                     classes="row-title")
        yield Static(self.tr(STATUS_OF[line.outcome]),
                     classes="row-status" if line.outcome is Returned.RETURNED else "row-status offline")
        if line.fine:
            yield Static(self.trn("late_fine", "late_fines", line.days_late, days=line.days_late,
                                              amount=fmt_won(line.fine)),
                         classes="row-fine")


class ReturnScreen(KioskScreen):
    """The latest returns first; older ones of a long run are counted, and all are on the receipt."""
    BACK = "#done"

    SHOWN = 8

    def compose(self) -> ComposeResult:
        returns = self.view.session.returns
        yield TopBar(self.view)
        yield LowSpacer(id="low-spacer")
        yield Static(self.tr("returns_heading"), classes="heading")
        with VerticalScroll(id="lines"):
            for line in reversed(returns[-self.SHOWN:]):
                yield ReturnRow(line, self.lang)
        earlier = Static(self._earlier(), id="earlier", classes="hint")
        earlier.display = bool(self._earlier())  # no empty line under the list
        yield earlier
        yield Static(self.tr("scan_next_return"), classes="hint")
        yield Button(self.tr("done"), id="done", classes="done", variant="primary")

    def _earlier(self) -> str:
        hidden = len(self.view.session.returns) - self.SHOWN
        return self.trn("earlier_return", "earlier_returns", hidden, count=hidden) if hidden > 0 else ""

    async def add_line(self, line: ReturnLine) -> None:
        """Put a new return at the top without rebuilding the list, and drop the oldest shown, so
        a long run of returns stays as quick to show as the first."""
        found = self.query("#lines").results(VerticalScroll)
        lines = next(found, None)
        if lines is None:  # not composed yet: compose draws it from the session
            return
        await lines.mount(ReturnRow(line, self.lang), before=0 if lines.children else None)
        if len(lines.children) > self.SHOWN:
            await lines.children[-1].remove()
        for earlier in self.query("#earlier").results(Static):
            earlier.update(self._earlier())
            earlier.display = bool(self._earlier())

    def spoken(self) -> Utterance:
        return utter(self.lang, [self.tr("scan_next_return")])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "done":
            self.post_message(FinishVisit())
