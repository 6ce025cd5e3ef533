"""The end of a visit: which receipts the patron may choose, and giving the one they chose.

What is offered is what the library allows (``receipt_choices``, in its order: the first is the
default) and what can work now: print only while the printer says it can print (asked with
ESC/POS real-time status before the choice is shown), email only when the library system gave an
address for the patron and a mail server is configured. Each way is tried once per visit: a print
that stopped partway is never sent again (the patron would get half a receipt twice) and the
patron is told it may be incomplete; email stays offered. An email is a durable job for the agent
(:mod:`sync_agent.store.mail_jobs`); the address lives in the visit's memory and in that job only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from hardware.escpos_printer import EscposPrinter, PrinterState, PrintFailed
from hardware.status import DeviceStatus
from kiosk_app.i18n import N_, Lang
from kiosk_app.receipt import Receipt
from kiosk_app.receipt_escpos import FontMissing, escpos_receipt
from kiosk_app.receipt_mail import mask_address, receipt_mail
from kiosk_app.session import Session
from sync_agent.settings import Settings
from sync_agent.store import mail_jobs
from sync_agent.store.database import Store, StoreError

log = logging.getLogger(__name__)

PRINTER = "printer"
PRINTER_WORDS: dict[str, str] = {
    PrinterState.OK: N_("tech_printer_ok"), PrinterState.PAPER_NEAR_END: N_("tech_printer_paper_near_end"),
    PrinterState.PAPER_OUT: N_("tech_printer_paper_out"), PrinterState.COVER_OPEN: N_("tech_printer_cover_open"),
    PrinterState.OFFLINE: N_("tech_printer_offline"), PrinterState.NO_ANSWER: N_("tech_printer_no_answer"),
    PrinterState.MISSING: N_("tech_printer_missing"), PrinterState.FILE: N_("tech_printer_file"),
}
"""Each printer state in the technician's words, with what to do."""
CANNOT_PRINT: dict[PrinterState | None, str] = {PrinterState.PAPER_OUT: N_("receipt_printer_paper_out"),
                PrinterState.COVER_OPEN: N_("receipt_printer_cover_open")}
"""What the patron is told before the choice when the printer cannot print (else: out of order)."""


@dataclass(frozen=True, slots=True)
class ReceiptOffer:
    """What the receipt screen draws: the choices possible now (the first is the default; none
    once a receipt was given), the masked address, the library's name and a note (an i18n key:
    why print is not offered, or what became of the patron's choice)."""

    choices: tuple[str, ...]
    masked: str | None
    library: str
    note: str | None


class ReceiptDesk:
    def __init__(self, settings: Settings, store: Store,
                 on_printer: Callable[[DeviceStatus], None] = lambda _: None) -> None:
        self.settings = settings
        self.store = store
        self.printer = EscposPrinter(settings.receipt_printer) if settings.receipt_printer else None
        self.on_printer = on_printer
        self.state: PrinterState | None = None
        self.note: str | None = None
        self.tried: set[str] = set()
        self.given = False
        self._port = asyncio.Lock()
        """One use of the printer's port at a time: the health check's status request never
        meets a print job holding the port (it would read as "missing")."""

    async def check_printer(self) -> PrinterState | None:
        """Ask the printer how it is (off the loop: a silent one takes 1.5 s); a change is
        reported to the technician's devices (and so the store and the metrics)."""
        if self.printer is None:
            return None
        async with self._port:
            state = await asyncio.to_thread(self.printer.state)
        if state != self.state:
            log.info("receipt printer %s: %s", self.printer.path, state)
            self.state = state
            # A printer's states are not a serial device's: the technician screen words both.
            self.on_printer(DeviceStatus(PRINTER, str(self.printer.path), state))  # type: ignore[arg-type]  # see above
        return state

    def address(self, session: Session) -> str | None:
        member = session.patron.member if session.patron else None
        return member.email if member is not None and self.settings.smtp_host else None

    def offer(self, session: Session) -> ReceiptOffer:
        can_print = self.state is not None and self.state.can_print
        possible = {"print": can_print, "email": self.address(session) is not None, "none": True}
        choices = () if self.given else tuple(
            choice for choice in self.settings.receipt_options if possible[choice] and choice not in self.tried)
        note = self.note
        if note is None and "print" in self.settings.receipt_options and self.printer and not can_print:
            note = CANNOT_PRINT.get(self.state, N_("receipt_printer_out_of_order"))
        address = self.address(session)
        return ReceiptOffer(choices, mask_address(address) if address else None, self.settings.library_name,
                            note)

    async def print(self, receipt: Receipt) -> None:
        """Print once: whatever happens, this visit does not print again."""
        if self.printer is None or "print" in self.tried:
            return
        self.tried.add("print")
        try:
            stream = await asyncio.to_thread(escpos_receipt, receipt, self.settings.receipt_width_mm)
            async with self._port:
                await asyncio.to_thread(self.printer.write, stream)
        except FontMissing as exc:
            log.error("receipt not printed: %s", exc)
            self.note = N_("receipt_print_failed")
        except PrintFailed as exc:
            log.warning("receipt print stopped after %d bytes: %s", exc.sent, exc.reason)
            self.note = N_("receipt_print_partial") if exc.sent else N_("receipt_print_failed")
        else:
            self.note, self.given = N_("receipt_printed"), True
        state = await self.check_printer()
        if self.given and state is not None and not state.can_print:  # the bytes went; the paper may not
            log.warning("receipt sent, but the printer now says %s", state)
            self.note, self.given = N_("receipt_print_partial"), False

    async def email(self, session: Session, receipt: Receipt, lang: Lang) -> None:
        """Hand the mail to the agent as a durable job (sent later if the network is away)."""
        address = self.address(session)
        if address is None or "email" in self.tried:
            return
        self.tried.add("email")
        mail = receipt_mail(receipt, lang, self.settings.library_name)
        try:
            await asyncio.to_thread(mail_jobs.enqueue, self.store, self.settings.id, address,
                                    mail.subject, mail.text, mail.html)
        except StoreError as exc:
            log.warning("email receipt not saved: %s", exc.reason)
            self.note = N_("receipt_mail_failed")
            return
        log.info("email receipt saved for the agent")
        self.note, self.given = N_("receipt_mailed"), True

    def forget(self) -> None:
        """A new visit starts with every choice open again."""
        self.note, self.tried, self.given = None, set(), False
