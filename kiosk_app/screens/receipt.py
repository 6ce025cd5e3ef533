"""The end of a visit: the receipt on screen, and the patron's choice of how to take it home."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from kiosk_app.messages import EmailReceipt, EndSession, PrintReceipt
from kiosk_app.receipt import Receipt, build_receipt
from kiosk_app.screens.common import KioskScreen, LowSpacer, TopBar
from kiosk_app.screens.receipt_choice import ReceiptChoice
from kiosk_app.utterance import Utterance, utter

BAR_WIDTH = 90


class ReceiptScreen(KioskScreen):
    BACK = "#finish"

    def compose(self) -> ComposeResult:
        receipt = self._receipt(unbroken=True)
        yield TopBar(self.view)
        yield LowSpacer(id="low-spacer")
        with VerticalScroll(id="receipt"):
            yield Static(escape("\n".join(receipt.lines)), id="receipt-lines")
            yield Static("\n".join(receipt.barcode_rows(BAR_WIDTH)), id="bars")
            yield Static(receipt.session_id, id="digits")
        offer = self.view.offer
        note = Static(self.tr(offer.note, address=offer.masked) if offer.note else "", id="printed",
                      classes="hint")
        note.display = bool(offer.note)  # no empty line above the choice
        yield note
        yield ReceiptChoice(offer, self.lang)

    @property
    def receipt(self) -> Receipt:
        """The receipt to print or email."""
        return self._receipt()

    def _receipt(self, *, unbroken: bool = False) -> Receipt:
        return build_receipt(self.view.session, self.lang, self.view.tz, self.view.offer.library,
                             unbroken=unbroken)

    def spoken(self) -> Utterance:
        return utter(self.lang, [self.tr("say_receipt")])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "print":
            self.post_message(PrintReceipt(self.receipt))
        elif event.button.id == "email":
            self.post_message(EmailReceipt(self.receipt))
        elif event.button.id == "finish":
            self.post_message(EndSession())
