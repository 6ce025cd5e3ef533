"""The patron's choice of receipt: print, email (to the masked address) or none.

Only the choices possible now are shown, in the library's order, the first (the default) as the
primary button; once a receipt was given only "finish" is left. "No receipt" ends the visit like
"finish". Taps go up as messages; the app answers with a redraw saying what became of it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button
from textual.widgets.button import ButtonVariant

from kiosk_app.i18n import Lang, t
from kiosk_app.keypad import PrivateLabel
from kiosk_app.receipt_desk import ReceiptOffer


class ReceiptChoice(Horizontal):
    def __init__(self, offer: ReceiptOffer, lang: Lang) -> None:
        super().__init__(classes="buttons", id="receipt-choice")
        self.offer = offer
        self.lang = lang

    def compose(self) -> ComposeResult:
        offer = self.offer
        words = {"print": t(self.lang, "receipt_print"),
                 "email": t(self.lang, "receipt_email", address=offer.masked or ""),
                 "none": t(self.lang, "receipt_none")}
        for number, choice in enumerate(offer.choices):
            button_id = "finish" if choice == "none" else choice
            variant: ButtonVariant = "primary" if number == 0 else "default"
            if choice == "email":  # the address is heard only in the patron's private mode
                yield PrivateLabel(words[choice], t(self.lang, "say_receipt_email"), id=button_id,
                                   variant=variant)
            else:
                yield Button(words[choice], id=button_id, variant=variant)
        if "none" not in offer.choices:
            yield Button(t(self.lang, "receipt_finish"), id="finish",
                         variant="primary" if not offer.choices else "default")
