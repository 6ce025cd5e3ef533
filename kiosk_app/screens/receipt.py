"""The end of a visit: the receipt on screen, a print button when a printer is configured."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from kiosk_app.receipt import Receipt, build_receipt
from kiosk_app.messages import EndSession, PrintReceipt
from kiosk_app.screens.common import KioskScreen, TopBar

BAR_WIDTH = 90


class ReceiptScreen(KioskScreen):
    def compose(self) -> ComposeResult:
        receipt = self.receipt
        yield TopBar(self.view)
        with VerticalScroll(id="receipt"):
            yield Static(escape("\n".join(receipt.lines)), id="receipt-lines")
            yield Static("\n".join(receipt.barcode_rows(BAR_WIDTH)), id="bars")
            yield Static(receipt.session_id, id="digits")
        note = self.view.receipt_note
        yield Static(self.tr(note) if note else "", id="printed", classes="hint")
        with Horizontal(classes="buttons"):
            if self.view.can_print:
                yield Button(self.tr("receipt_print"), id="print")
            yield Button(self.tr("receipt_finish"), id="finish", variant="primary")

    @property
    def receipt(self) -> Receipt:
        return build_receipt(self.view.session, self.lang, self.view.tz)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "print":
            self.post_message(PrintReceipt(self.receipt))
        elif event.button.id == "finish":
            self.post_message(EndSession())
