"""What the app hands down to its screens: the data they draw, and the technician's tools.

Screens never reach up into the app: the app gives each screen a :class:`KioskView` when it
shows it, and a fresh one before it asks the screen to redraw (a new visit, a new language, a
print's outcome). Live changes that need no redraw are handed down by a method call instead
(``OnlineIndicator.show``, ``MemberScreen.show_working``, ``StillHereScreen.count``). What the
patron does goes the other way, as messages (:mod:`kiosk_app.messages`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from kiosk_app.i18n import Lang

if TYPE_CHECKING:
    from kiosk_app.devices import Devices
    from kiosk_app.receipt_desk import ReceiptOffer
    from kiosk_app.session import Session
    from kiosk_app.tech_service import TechService


@dataclass(frozen=True, slots=True)
class TechTools:
    """What the technician screen works with: the technician's service (its report; its actions
    go up as messages, which the app carries out with the same service), the serial devices, and
    the recent log lines."""

    service: TechService
    devices: Devices
    log_tail: Callable[[], list[str]]


@dataclass(frozen=True, slots=True)
class KioskView:
    lang: Lang
    tz: tzinfo
    online: bool
    session: Session
    """The visit as the use-cases record it (the same object, so rows added in place read the
    latest lines); screens only read it."""
    working: bool
    """A borrow is being asked: "one moment…" instead of "scan a book"."""
    receipt: ReceiptOffer | None
    """The receipts the patron may choose now, and what became of their choice (None before the
    app's core is attached, when only the welcome screen is drawn)."""
    idle_remaining_s: int
    """Seconds before an untouched visit is cleared (the "still here?" countdown)."""
    tech: TechTools | None
    """None before the app's core is attached."""
    high_contrast: bool = False
    """The patron's view for the visit: the high-contrast theme, every control low, everything at
    200 % (where the display can be enlarged: ``can_enlarge``)."""
    low: bool = False
    enlarged: bool = False
    can_enlarge: bool = False

    @property
    def offer(self) -> ReceiptOffer:
        """``receipt``, for the screens that only a visit shows (the core is attached by then)."""
        assert self.receipt is not None, "a receipt offer before the app's core was attached"
        return self.receipt

    @property
    def tools(self) -> TechTools:
        """``tech``, for the technician's screen (opened only once the core is attached)."""
        assert self.tech is not None, "the technician's tools before the app's core was attached"
        return self.tech
