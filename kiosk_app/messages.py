"""Messages up to the app: what the hardware adapter read (from the serial reader threads), what
the patron did on a screen, and what the technician asked for on theirs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from hardware.codes import CodeKind
from hardware.events import Rejection
from hardware.status import DeviceStatus

if TYPE_CHECKING:
    from pydantic import SecretStr

    from kiosk_app.receipt import Receipt
    from kiosk_app.utterance import Utterance


class Scanned(Message):
    """A valid scan (member card, item label or ISBN)."""

    def __init__(self, kind: CodeKind, code: str) -> None:
        super().__init__()
        self.kind = kind
        self.code = code


class ScanRejected(Message):
    """A plausible scan that is not valid (wrong check digit, another library's label...)."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__()
        self.rejection = rejection


class DeviceChanged(Message):
    def __init__(self, status: DeviceStatus) -> None:
        super().__init__()
        self.status = status


# -- what the patron (or technician) did on a screen, posted up to the app ------------------------
# Screens never call the app: they say what happened, and the app decides what it means for the
# visit (and queues it behind the scans, in the order the patron acted).


class PatronActive(Message):
    """A touch anywhere: the patron is still there (restarts the inactivity countdown)."""


class ToggleLanguage(Message):
    """The 한국어/English button."""


class ChooseView(Message):
    """The top bar's "view" button: open the chooser of enlargement, high contrast and low position."""


class ToggleContrast(Message):
    """The view chooser's "high contrast": on or off for the visit."""


class ToggleLow(Message):
    """The view chooser's "low position": every control in the lower part of the screen."""


class MoreTime(Message):
    """"Still here?" answered: the patron wants more time for the rest of the visit."""


class ToggleEnlarge(Message):
    """The view chooser's "enlarge": everything on the screen at 200 %, or back."""


class PatronPinEntered(Message):
    """OK on the patron PIN pad: the PIN, as a ``SecretStr`` (hidden from every repr and log
    line), for the app to have the library system judge."""

    def __init__(self, pin: SecretStr) -> None:
        super().__init__()
        self.pin = pin


class FinishVisit(Message):
    """"Done": the receipt if anything happened, else the welcome screen."""


class EndSession(Message):
    """"Finish" on the receipt: forget the visit."""


class RenewRequested(Message):
    """"Renew" on one loan (its barcode) or "renew all" (None)."""

    def __init__(self, barcode: str | None) -> None:
        super().__init__()
        self.barcode = barcode


class CancelReservation(Message):
    def __init__(self, rental_id: int) -> None:
        super().__init__()
        self.rental_id = rental_id


class ReceiptChosen(Message):
    """The receipt as the patron sees it, to be given the way they chose."""

    def __init__(self, receipt: Receipt) -> None:
        super().__init__()
        self.receipt = receipt


class PrintReceipt(ReceiptChosen):
    """To the printer."""


class EmailReceipt(ReceiptChosen):
    """By email, to the address the library has for the patron."""


class Speak(Message):
    """What a screen says as it appears (its prompt, a notice), for the app to hand to the voice."""

    def __init__(self, utterance: Utterance) -> None:
        super().__init__()
        self.utterance = utterance


class TechnicianRequested(Message):
    """Five quick taps on the logo: the technician PIN pad, after the visit is ended."""


class StaffCalled(Message):
    """"Call staff" in the top bar (or its key): the patron needs a person."""


class CloseTechnician(Message):
    """The technician is done: back to the welcome screen with a new visit."""


class ExitKiosk(Message):
    """The maintenance exit on the technician screen."""


class SyncNow(Message):
    """The technician's "sync now": deliver what is due (``kiosk_app.tech_service``, as the rest
    of the technician's actions below)."""


class DeadLetterAction(Message):
    """The technician's action on one dead letter (the outbox entry ``entry_id``)."""

    def __init__(self, entry_id: int) -> None:
        super().__init__()
        self.entry_id = entry_id


class RetryDeadLetter(DeadLetterAction):
    """Send a dead letter again."""


class ResolveDeadLetter(DeadLetterAction):
    """A dead letter was dealt with at the desk: resolved, never sent."""


class ResetBreaker(Message):
    """Close one of the app's breakers by hand."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class CheckStore(Message):
    """Check the store's integrity; the outcome goes down to the screen."""


class AcknowledgeCall(Message):
    """The patron's call for staff is answered."""
