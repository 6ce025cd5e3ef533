"""What the kiosk app works with once its core is attached: the use-cases and the collaborators
built on the settings model, the store and the central port.

The app paints its welcome screen before any of these exist (:mod:`kiosk_app.first_paint`), so
they arrive together, built by the composition root (:func:`kiosk_app.composition.build_core`),
and are handed down in one call, :meth:`KioskApp.attach <kiosk_app.app.KioskApp.attach>`. This
module only names them: it imports none of their modules at run time, so the app can refer to a
core without loading one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk_app.devices import Devices
    from kiosk_app.lending import Lending
    from kiosk_app.pin_guard import PinGuard
    from kiosk_app.receipt_desk import ReceiptDesk
    from kiosk_app.tech_service import TechService
    from kiosk_app.voice import Speaker
    from sync_agent.settings import Settings


@dataclass(frozen=True, slots=True)
class KioskCore:
    settings: Settings
    """The validated settings, which confirm (or correct) the first paint's."""
    lending: Lending
    devices: Devices
    receipts: ReceiptDesk
    pin_lock: PinGuard
    tech_service: TechService
    speaker: Speaker
