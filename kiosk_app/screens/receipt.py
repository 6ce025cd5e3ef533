"""The end of a visit: the receipt on screen, a print button when a printer is configured."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from kiosk_app.receipt import Receipt, build_receipt
from kiosk_app.screens.common import KioskScreen, TopBar

BAR_WIDTH = 90


class ReceiptScreen(KioskScreen):
    def compose(self) -> ComposeResult:
        receipt = self.receipt
        yield TopBar()
        with VerticalScroll(id="receipt"):
            yield Static(escape("\n".join(receipt.lines)), id="receipt-lines")
            yield Static("\n".join(receipt.barcode_rows(BAR_WIDTH)), id="bars")
            yield Static(receipt.session_id, id="digits")
        yield Static(self.kiosk.receipt_note or "", id="printed", classes="hint")
        with Horizontal(classes="buttons"):
            if self.kiosk.settings.receipt_printer is not None:
                yield Button(self.tr("receipt_print"), id="print")
            yield Button(self.tr("receipt_finish"), id="finish", variant="primary")

    @property
    def receipt(self) -> Receipt:
        return build_receipt(self.kiosk.session, self.kiosk.lang, self.kiosk.tz)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "print":
            self.kiosk.print_receipt(self.receipt)
        elif event.button.id == "finish":
            self.kiosk.end_session()
