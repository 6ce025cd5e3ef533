"""The kiosk's Textual app: routes each scan and touch of a patron visit to the use-cases and
shows the outcome.

Messages come up (scans from the serial reader threads, what the patron did from the screens,
:mod:`kiosk_app.messages`) and become jobs of one queue served by one worker
(:mod:`kiosk_app.jobs`): a visit's actions happen in the order the patron made them, and the event
loop only ever awaits (SQLite runs in threads, HTTP is async). The use-cases record each outcome
into the visit; the app picks the screen that shows it and hands the screen its data
(:mod:`kiosk_app.view`). Patrons cannot quit: Ctrl+C and Ctrl+Q do nothing, and "exit kiosk"
lives on the technician screen.

Paint first: the app is built as a shell that draws the welcome screen and queues what the patron
does (:class:`~kiosk_app.first_paint.FirstPaint`), and its core (use-cases, devices, receipts, the
voice) is attached after the first frame (:meth:`KioskApp.attach`, :mod:`kiosk_app.start`). So
this module imports at its top only what costs nothing to load (the outcomes it tells apart come
from :mod:`kiosk_app.outcomes`, not from the use-cases); the receipt and technician screens and the
store's names are imported where they are used. ``tests/app/test_first_paint.py`` checks that
importing it loads none of pydantic, httpx, sqlite3, the store, the central side or the receipts.

Speech (:mod:`kiosk_app.voice`): screens say their prompt as they appear (a ``Speak`` message up),
the app says each outcome where it handles it (:mod:`kiosk_app.announce`); the patron's keys
(:data:`kiosk_app.voice.KEYS`) set the voice for the visit. Whatever the patron did last starts a
new turn: its first words interrupt what is still being said, the rest of the turn follows them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button

from hardware.codes import CodeKind
from hardware.display import DisplayError, OutputScale
from kiosk_app import announce, keypad
from kiosk_app.first_paint import FirstPaint
from kiosk_app.i18n import LIBRARY_TZ, N_, Lang, other, t
from kiosk_app.idle import IdleClock, IdleState
from kiosk_app.jobs import PatronQueue
from kiosk_app.keypad import KEYPAD
from kiosk_app.messages import (
    AcknowledgeCall,
    CancelReservation,
    CheckStore,
    ChooseView,
    CloseTechnician,
    DeviceChanged,
    EmailReceipt,
    EndSession,
    ExitKiosk,
    FinishVisit,
    MoreTime,
    PatronActive,
    PatronPinEntered,
    PrintReceipt,
    RenewRequested,
    ResetBreaker,
    ResolveDeadLetter,
    RetryDeadLetter,
    Scanned,
    ScanRejected,
    Speak,
    StaffCalled,
    SyncNow,
    TechnicianRequested,
    ToggleContrast,
    ToggleEnlarge,
    ToggleLanguage,
    ToggleLow,
)
from kiosk_app.notices import HELP_CALLED, WRONG_INPUT, failure_notice
from kiosk_app.outcomes import BUSY, Offer, Outcome, PinWrong, Refusal
from kiosk_app.screen_fit import MIN_GRID, touch_cells
from kiosk_app.screens.common import KioskScreen, OnlineIndicator, Viewed
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen, OfferScreen, StillHereScreen, label_drawing
from kiosk_app.screens.patron_pin import PatronPinScreen
from kiosk_app.screens.pin import PinScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.view_choice import ViewScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.session import Action, BorrowLine, Mode, RenewLine, Session, new_session_id
from kiosk_app.themes import HIGH_CONTRAST, THEMES, theme_name
from kiosk_app.utterance import Utterance
from kiosk_app.view import KioskView, TechTools
from kiosk_app.voice import KEYS

if TYPE_CHECKING:
    from pydantic import SecretStr

    from kiosk_app.core import KioskCore
    from kiosk_app.logbook import RecentLines
    from kiosk_app.screens.technician import TechScreen

log = logging.getLogger(__name__)

CALL_STAFF_KEY = "f9"
"""The key of "call staff" (F1-F8 are the speech keys, :data:`kiosk_app.voice.KEYS`): a keypad
with an earphone jack maps its help button to it."""
LOW_KEY = "f10"
"""Low position on or off for the visit (F1-F8 are the speech keys)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _outcome_name(outcome: Outcome) -> str:
    """One word for the log: borrowed, queued, offer, busy (the fallback) or the refusal's key."""
    if isinstance(outcome, BorrowLine):
        return "queued" if outcome.queued else "borrowed"
    if isinstance(outcome, Offer):
        return "offer"
    if isinstance(outcome, RenewLine):
        return "renewed"
    return "busy" if outcome == BUSY else outcome.why


class KioskApp(App[None]):
    CSS_PATH = Path(__file__).with_name("kiosk.tcss")
    """Absolute, so that a subclass in another package (the demo's) finds it too."""
    TITLE = "kiosk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "stay", show=False, priority=True),
        Binding("ctrl+c", "stay", show=False, priority=True),
        *(Binding(key, action, description, show=False, priority=True) for key, action, description in KEYS),
        Binding(CALL_STAFF_KEY, "call_staff", "call staff", show=False, priority=True),
        Binding(LOW_KEY, "low_position", "low position on / off", show=False, priority=True),
        *(Binding(keys, action, description, show=False, priority=True) for keys, action, description in KEYPAD),
    ]

    MIN_SIZE: ClassVar[tuple[int, int]] = MIN_GRID
    """Columns and rows the patron screens are laid out for (kiosk_app.screen_fit)."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (50, "-medium"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-very-short"), (14, "-short"), (32, "-tall")]
    """The screen's classes by its size: ``-wide``/``-tall`` is the layout of 100x32 and more, the
    others are the compact layouts of the patron displays' grids (kiosk.tcss)."""
    TOUCH_ROWS: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    """The button heights kiosk.tcss has a class for (``-touch-2``: buttons two rows high)."""

    lang: reactive[Lang] = reactive("ko", init=False)
    online: reactive[bool] = reactive(True)
    low: reactive[bool] = reactive(False, init=False)
    """Low position for the visit: the top bar at the foot, every control in the lower part
    (the app's class ``-low``, kiosk.tcss)."""
    enlarged: reactive[bool] = reactive(False, init=False)
    """Everything at 200 % for the visit: the display's scale (hardware/display.py), which
    reaches the app as a resize to half the grid."""

    def __init__(self, paint: FirstPaint, *, clock: Callable[[], datetime] = utc_now,
                 tz: tzinfo = LIBRARY_TZ, session_ids: Callable[[datetime], str] = new_session_id,
                 tick_s: float | None = 1.0, health_every_s: float | None = 10.0,
                 log_lines: RecentLines | None = None, scale: OutputScale | None = None) -> None:
        """The shell: enough to draw the welcome screen from ``paint`` and to queue what the
        patron does; the rest comes with the core (:meth:`attach`)."""
        super().__init__()
        self.paint = paint
        self.core: KioskCore | None = None
        self.clock = clock
        self.tz = tz
        self.session_ids = session_ids
        self.tick_s = tick_s
        self.health_every_s = health_every_s
        self.idle = IdleClock(paint.session_timeout_s)
        self.session = self._new_session()
        self.working = False
        self.allow_exit = False
        self.jobs = PatronQueue(lambda: self.session, self._job_failed, self._job_done)
        """Scans and patron actions, in order; served once the core is attached, so one that
        comes before waits for it instead of being lost."""
        self._log_lines = log_lines
        self._pin_card: str | None = None
        """The card whose PIN the pad asks for (``patron_pin = "required"``), until it is judged."""
        self._size_warned = False
        self.scale = scale
        """The display's scale, for the patron's enlargement; None where nothing can enlarge the
        screen (a developer's terminal), and the view offers none."""
        self._new_turn = True
        self._size_logged = False
        self._mounted = False
        self.painted = asyncio.Event()
        """Set once the welcome screen has been drawn: the first frame (kiosk_app.start)."""
        self.display_mm = paint.display_mm
        """The patron display's visible area (width, height) in mm; None on a developer's terminal."""
        self.set_reactive(KioskApp.lang, paint.lang)
        for theme in THEMES.values():
            self.register_theme(theme)
        self.theme = theme_name(paint.theme)

    def attach(self, core: KioskCore) -> None:
        """The core, built by the composition root: from now on patron actions are served (those
        queued meanwhile first, in order), the devices read, the central side's health asked.
        Its settings confirm the first paint's keys; where they differ (the first paint fell back
        to a default) the screen is laid out again from them. Its parts become the app's
        attributes (``settings``, ``lending``, ``devices``...), which exist from then on."""
        self.core = core
        self.settings = core.settings
        self.lending = core.lending
        self.devices = core.devices
        self.receipts = core.receipts
        self.pin_lock = core.pin_lock
        self.tech_service = core.tech_service
        self.tech_tools = TechTools(core.tech_service, core.devices, self.log_tail)
        self.speaker = core.speaker
        confirmed = FirstPaint.of(core.settings)
        if confirmed != self.paint:
            log.warning("the settings differ from the first paint's reading: the screen is laid out again")
            self.paint = confirmed
            self.idle = IdleClock(confirmed.session_timeout_s)
            self.display_mm = confirmed.display_mm
            self.theme = theme_name(confirmed.theme)
            if self._mounted:
                self.fit_to(self.size)
            self.lang = confirmed.lang
        if self._mounted:
            self._serve()

    # -- lifecycle ---------------------------------------------------------------------------

    async def on_mount(self) -> None:
        await self.push_screen(WelcomeScreen())
        self.call_after_refresh(self.painted.set)
        self._mounted = True
        if self.tick_s:
            self.set_interval(self.tick_s, self.tick)
        if self.core is not None:
            self._serve()

    def _serve(self) -> None:
        """What runs once the core is there: the queue of patron actions, the serial devices,
        the health check."""
        self.run_worker(self.jobs.serve(), name="patron-queue", group="patron")
        self.run_worker(self.devices.start, thread=True, name="devices-start")
        if self.health_every_s:
            self.set_interval(self.health_every_s, self.check_health)
            self.check_health()

    def on_resize(self, event: events.Resize) -> None:
        # The grid is what the patron's text size left of the display (kiosk_app/terminal.py).
        log.info("patron screen: %dx%d cells", event.size.width, event.size.height)
        self.fit_to(event.size)
        self.check_size(event.size)

    def fit_to(self, size: Size) -> None:
        """Buttons as high as a touch target needs on this display at this grid (15 mm), as the
        class ``-touch-N`` of the app, which kiosk.tcss turns into heights on every screen."""
        rows = touch_cells((size.width, size.height), self.display_mm).rows
        styled = min(max(rows, self.TOUCH_ROWS[0]), self.TOUCH_ROWS[-1])
        if styled != rows:
            log.warning("a touch target needs %d rows at %dx%d, buttons have %d", rows, size.width,
                        size.height, styled)
        self.update_classes({f"-touch-{n}": n == styled for n in self.TOUCH_ROWS})

    def check_size(self, size: Size) -> None:
        """Below the smallest grid the screens are laid out for: on a developer's terminal, say so
        in both languages (the words go once it is big enough); on a kiosk display (its size is
        set) a patron could do nothing about it, so it is only logged, once, and the most compact
        layout is used."""
        need = self.MIN_SIZE
        if size.width >= need[0] and size.height >= need[1]:
            if self._size_warned:
                self.clear_notifications()
                self._size_warned = False
            return
        if self.display_mm is not None:
            if not self._size_logged:
                log.warning("terminal %dx%d is smaller than the %dx%d the patron screens are laid out "
                            "for: the most compact layout is used", size.width, size.height, *need)
                self._size_logged = True
            return
        if not self._size_warned:
            words = [t(lang, "too_small", width=need[0], height=need[1], now_width=size.width,
                       now_height=size.height) for lang in ("ko", "en")]
            self.notify("\n".join(words), severity="warning", timeout=24 * 3600)
            self._size_warned = True

    async def on_unmount(self) -> None:
        if self.core is not None:
            self.speaker.close()
            await asyncio.to_thread(self.devices.stop)

    def action_stay(self) -> None:
        """Ctrl+C / Ctrl+Q: a patron cannot leave the kiosk."""

    async def action_quit(self) -> None:
        if self.allow_exit:
            self.exit()

    def exit_kiosk(self) -> None:
        """Maintenance exit, only reachable from the technician screen."""
        self.allow_exit = True
        self.exit()

    # -- the queue of patron actions -------------------------------------------------------------

    async def _job_failed(self, exc: Exception) -> None:
        from sync_agent.store.database import StoreError

        if isinstance(exc, StoreError):
            log.error("store refused a patron action (%s): %s", exc.reason, exc)
        else:
            log.error("patron action failed", exc_info=exc)
        await self.show_notice(failure_notice(exc))

    def _job_done(self) -> None:
        self.working = False

    async def drain(self) -> None:
        """Wait until every queued action is done (tests and benchmarks)."""
        await self.jobs.drain()

    # -- scans -----------------------------------------------------------------------------------

    def on_scanned(self, message: Scanned) -> None:
        self.jobs.enqueue(lambda: self.handle_scan(message.kind, message.code))

    def on_scan_rejected(self, message: ScanRejected) -> None:
        self.jobs.enqueue(lambda: self.handle_scan(CodeKind.INVALID, message.rejection.text))

    def on_device_changed(self, message: DeviceChanged) -> None:
        technician = self._technician()
        if technician is not None:
            technician.device_changed(message.status)

    async def handle_scan(self, kind: CodeKind, code: str) -> None:
        technician = self._technician()
        if technician is not None:
            technician.test_scan(kind, code)
            return
        if self._pin_pad_open():
            return
        self.touch()
        action = self.session.route(kind, code, self.settings.institution)
        if action is Action.RETURN:
            await self._return(code)
        elif action is Action.OPEN_MEMBER:
            await self._open_member(code)
        elif action is Action.BORROW:
            await self._borrow(code)
        elif action is Action.ISBN_HELP:
            drawing = label_drawing(self._t("label_here"), self._t("isbn_here"), "3" + self.settings.institution)
            await self.show_notice(Refusal("why_isbn", "next_isbn", {"prefix": "3" + self.settings.institution}),
                                   drawing)
        elif action is Action.TECHNICIAN:
            await self._open_technician()
        elif action in WRONG_INPUT:
            await self.show_notice(WRONG_INPUT[action])
        else:
            await self._close_overlays()

    async def _return(self, code: str) -> None:
        session = self.session
        line = await self.lending.return_book(session, code, self.clock(), self.online)
        log.info("return %s: item %s", line.outcome.value, code)
        self.say(announce.returned(line, session, self.lang))
        if isinstance(self.screen, ReturnScreen):
            await self.screen.add_line(line)
        else:
            await self.show_base(MemberScreen if session.mode is Mode.MEMBER else ReturnScreen)

    async def _open_member(self, card: str) -> None:
        if self.settings.patron_pin == "required":
            await self._ask_pin(card)
        else:
            await self._show_member(card)

    async def _ask_pin(self, card: str) -> None:
        """The PIN pad, before anything of the member is asked or shown."""
        await self._close_overlays()
        self._pin_card = card
        await self.push_screen(PatronPinScreen(), self._pin_pad_closed)

    def _pin_pad_closed(self, _: bool | None) -> None:
        if self._pin_card is not None:
            log.info("patron PIN pad cancelled")
        self._pin_card = None

    def on_patron_pin_entered(self, message: PatronPinEntered) -> None:
        self.jobs.enqueue(lambda: self._check_pin(message.pin), visit=self.session)

    async def _check_pin(self, pin: SecretStr) -> None:
        """The library system's word on the PIN: right opens the member's page; wrong stays on
        the pad with the tries left; anything else (locked, unknown card, unreachable) closes the
        pad and says why. A pad cancelled while its PIN was asked opens nothing."""
        card, pad = self._pin_card, self.screen
        if card is None or not isinstance(pad, PatronPinScreen):
            return
        try:
            outcome = await self.lending.check_pin(card, pin)
        except Exception:
            await self._leave_pin_pad(pad)  # the failure's notice goes over the screen, not a pad still "checking"
            raise
        if self.screen is not pad or self._pin_card != card:
            return
        if isinstance(outcome, PinWrong):
            log.info("patron PIN wrong (tries left: %s)", outcome.tries_left)
            pad.wrong(outcome.tries_left)
            return
        await self._leave_pin_pad(pad)
        if isinstance(outcome, Refusal):
            await self.show_notice(outcome)
        else:
            log.info("patron PIN accepted")
            await self._show_member(card)

    async def _leave_pin_pad(self, pad: PatronPinScreen) -> None:
        if self.screen is pad:
            self._pin_card = None
            await self.pop_screen()

    async def _show_member(self, card: str) -> None:
        self.working = True
        found = await self.lending.open_member(self.session, card, self.clock())
        if isinstance(found, Refusal):
            await self.show_notice(found)
            return
        self.working = False
        log.info("member screen: member %d (%s view)", found.member.id, "cached" if found.cached else "central")
        await self.show_base(MemberScreen)

    async def _borrow(self, code: str) -> None:
        session = self.session
        self._set_working(True)
        breaker = self.lending.client.breakers.states()["lending"]
        started = time.perf_counter()
        shown_before = session.shows(code)
        outcome = await self.lending.borrow(session, code, self.clock())
        log.info("borrow of item %s answered in %.1f ms: %s (lending breaker %s)", code,
                 (time.perf_counter() - started) * 1000, _outcome_name(outcome), breaker)
        await self._borrowed(session, outcome, redraw=shown_before)

    async def _borrowed(self, session: Session, outcome: Outcome, *, redraw: bool = True) -> None:
        """Show a borrow's outcome; ``redraw`` false lets a plain new loan be added in place."""
        self._set_working(False)
        if isinstance(outcome, BorrowLine):
            assert session.patron is not None
            log.info("borrow shown: item %s member %d due %s%s", outcome.barcode, session.patron.member.id,
                     outcome.due_at.isoformat(), " (queued offline)" if outcome.queued else "")
            self.say(announce.borrowed(outcome, self.lang, self.tz))
            if isinstance(self.screen, MemberScreen) and not redraw:
                await self.screen.add_borrow(outcome)  # the common case, without a full redraw
            else:
                await self.show_base(MemberScreen)
        elif isinstance(outcome, RenewLine):  # the ACS renewed a copy already on the card
            log.info("borrow shown as a renewal: item %s due %s", outcome.barcode, outcome.due_at)
            self.say(announce.renewed([outcome], self.lang, self.tz))
            await self.show_base(MemberScreen)
        elif isinstance(outcome, Offer):
            await self.show_base(MemberScreen)
            await self.push_screen(OfferScreen(outcome), self._offer_answered(session, outcome))
        else:
            await self.show_base(MemberScreen)
            await self.show_notice(outcome)

    def _offer_answered(self, session: Session, offer: Offer) -> Callable[[bool | None], None]:
        def answered(accepted: bool | None) -> None:
            if accepted:
                self.jobs.enqueue(lambda: self._reserve_and_borrow(session, offer), visit=session)
        return answered

    async def _reserve_and_borrow(self, session: Session, offer: Offer) -> None:
        self._set_working(True)
        outcome = await self.lending.reserve_and_borrow(session, offer, self.clock())
        await self._borrowed(session, outcome)

    def _set_working(self, working: bool) -> None:
        self.working = working
        if isinstance(self.screen, MemberScreen):
            self.screen.show_working(working)

    def cancel_reservation(self, rental_id: int) -> None:
        session = self.session
        patron = session.patron
        entry = next((e for e in patron.page.reservations if e.rental_id == rental_id), None) if patron else None
        if entry is None:
            return

        async def cancel() -> None:
            if any(line.barcode == entry.barcode for line in session.cancels):
                return  # a second tap before the screen caught up
            await self.lending.cancel(session, entry, self.clock())
            self.say(announce.cancelled(session.cancels[-1], self.lang))
            await self.show_base(MemberScreen)
        self.jobs.enqueue(cancel, visit=session)

    def on_cancel_reservation(self, message: CancelReservation) -> None:
        self.cancel_reservation(message.rental_id)

    def on_renew_requested(self, message: RenewRequested) -> None:
        self.renew_loans(message.barcode)

    def renew_loans(self, barcode: str | None) -> None:
        """"Renew" on one loan (its barcode), or "renew all" (None), asked while the patron waits."""
        session = self.session
        patron = session.patron
        loan = patron.loan(barcode) if patron is not None and barcode is not None else None
        if patron is None or (barcode is not None and loan is None):
            return

        async def renew() -> None:
            self._set_working(True)
            before = len(session.renewals)
            if loan is None:
                await self.lending.renew_all(session)
            else:
                await self.lending.renew(session, loan)
            self._set_working(False)
            self.say(announce.renewed(session.renewals[before:], self.lang, self.tz))
            await self.show_base(MemberScreen)
        self.jobs.enqueue(renew, visit=session)

    # -- screens ---------------------------------------------------------------------------------

    def _t(self, key: str) -> str:
        return t(self.lang, key)

    async def _close_overlays(self) -> None:
        while isinstance(self.screen, ModalScreen) and not self._pin_pad_open():
            await self.pop_screen()

    async def show_base(self, screen_class: type[KioskScreen]) -> None:
        """Show a patron screen (fresh, with the current visit), closing any notice over it."""
        await self._close_overlays()
        if type(self.screen) is screen_class:
            await self._redraw(self.screen)
        else:
            await self.switch_screen(screen_class())

    def view(self) -> KioskView:
        """What a screen is given to draw, as things are now (before the core, the welcome
        screen's: no receipt to offer, no technician's tools)."""
        attached = self.core is not None
        return KioskView(self.lang, self.tz, self.online, self.session, self.working,
                         self.receipts.offer(self.session) if attached else None, self.idle.remaining_s,
                         self.tech_tools if attached else None,
                         high_contrast=self.theme == HIGH_CONTRAST.name, low=self.low,
                         enlarged=self.enlarged, can_enlarge=self.scale is not None)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        self._hand_down(screen)
        return super().push_screen(screen, *args, **kwargs)

    def switch_screen(self, screen: Any) -> Any:
        self._hand_down(screen)
        return super().switch_screen(screen)

    def _hand_down(self, screen: object) -> None:
        """Every screen of ours is given its view before it is composed."""
        if isinstance(screen, Viewed):
            screen.view = self.view()

    async def _redraw(self, screen: Viewed) -> None:
        screen.view = self.view()
        await screen.recompose()  # type: ignore[attr-defined]

    async def show_notice(self, refusal: Refusal, drawing: str | None = None) -> None:
        log.info("notice: %s", refusal.why)
        await self._close_overlays()
        await self.push_screen(NoticeScreen(refusal, drawing))

    def toggle_lang(self) -> None:
        self.touch()
        self.lang = other(self.lang)
        self.say_screen()

    def on_toggle_language(self, _: ToggleLanguage) -> None:
        self.toggle_lang()

    def action_toggle_language(self) -> None:
        """F12 on the keypad: the language button's switch."""
        self.toggle_lang()

    # -- the keypad (kiosk_app.keypad) ----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keypad's arrows and back are bindings of priority, but they give way (the key goes
        on to the widget) where they mean nothing: arrows while a control other than a button has
        the focus (a list of its own), back on a screen that is not the patron's."""
        if action == "focus_step":
            return self.focused is None or isinstance(self.focused, Button)
        if action == "keypad_back":
            return isinstance(self.screen, Viewed)
        if action.startswith("speech_"):
            return self.core is not None  # the voice comes with the core (say)
        return True

    def action_focus_step(self, by: int) -> None:
        """An arrow: the focus to the next or previous control of the screen, which is said."""
        self.touch()
        button = keypad.step(self.screen, by)
        if button is not None:
            button.focus()
            self.say(keypad.said_on_focus(button, self.lang), remember=False)

    def action_keypad_back(self) -> None:
        """Back (Escape): the screen's own way back."""
        self.touch()
        if isinstance(self.screen, Viewed):
            self.screen.back()

    # -- the patron's view: high contrast, low position ---------------------------------------------

    def on_choose_view(self, _: ChooseView) -> None:
        self.action_choose_view()

    def action_choose_view(self) -> None:
        """The view chooser (the top bar's "view", or F11), over any patron screen."""
        self.touch()
        if not isinstance(self.screen, ViewScreen | PinScreen) and self._technician() is None:
            self.push_screen(ViewScreen())

    def on_toggle_enlarge(self, _: ToggleEnlarge) -> None:
        """The chooser's "enlarge": everything at 200 % or back, asked of the display off the
        event loop; the view changes when the display did."""
        self.touch()
        if self.scale is not None:
            self._scale_to(not self.enlarged)

    def _scale_to(self, enlarged: bool) -> None:
        scale = self.scale
        assert scale is not None

        def ask() -> None:
            try:
                scale.set(2 if enlarged else 1)
            except DisplayError as exc:
                log.warning("the screen could not be %s: %s", "enlarged" if enlarged else "restored", exc)
                self.call_from_thread(self.say, announce.voice_changed(N_("say_enlarge_failed"), self.lang))
            else:
                self.call_from_thread(setattr, self, "enlarged", enlarged)

        self.run_worker(ask, thread=True, group="enlarge", exclusive=True, name="enlarge")

    def watch_enlarged(self, enlarged: bool) -> None:
        log.info("enlargement %s for the visit", "on" if enlarged else "off")
        self.say(announce.voice_changed(N_("say_enlarge_on") if enlarged else N_("say_enlarge_off"),
                                        self.lang), remember=False)
        self._view_changed()

    def on_toggle_contrast(self, _: ToggleContrast) -> None:
        self.touch()
        high = self.theme != HIGH_CONTRAST.name
        self.theme = theme_name("high-contrast" if high else "standard")
        log.info("high contrast %s for the visit", "on" if high else "off")
        self._view_changed()

    def on_toggle_low(self, _: ToggleLow) -> None:
        self.action_low_position()

    def action_low_position(self) -> None:
        """Low position on or off for the visit (F10, or the chooser), said in the patron's voice."""
        self.touch()
        self.low = not self.low
        self.say(announce.voice_changed(N_("say_low_on") if self.low else N_("say_low_off"), self.lang),
                 remember=False)

    def watch_low(self, low: bool) -> None:
        log.info("low position %s for the visit", "on" if low else "off")
        self.set_class(low, "-low")
        for screen in self.screen_stack:  # Textual restyles only the screens it sees through
            self.update_styles(screen)
        self._view_changed()

    def _view_changed(self) -> None:
        """The chooser, if open, shows the new state (its focus stays where the keypad left it)."""
        if isinstance(self.screen, ViewScreen):
            self.screen.show(self.view())

    def _library_view(self) -> None:
        """The visit ended: the library's colours, controls where they were, the normal size."""
        self.theme = theme_name(self.settings.theme)
        if self.low:
            self.low = False
        if self.enlarged:
            self._scale_to(False)

    def watch_online(self, online: bool) -> None:
        """The indicators shown say it at once; a screen shown but not yet composed draws it
        from its new view."""
        for screen in self.screen_stack:
            if isinstance(screen, Viewed):
                screen.view = self.view()
            for indicator in screen.query(OnlineIndicator):
                indicator.show(online)

    def watch_lang(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, Viewed):
                screen.view = self.view()
                screen.refresh(recompose=True)

    # -- end of a visit --------------------------------------------------------------------------

    def on_finish_visit(self, _: FinishVisit) -> None:
        """"Done": the receipt if anything happened, else straight back to the welcome screen."""
        from kiosk_app.screens.receipt import ReceiptScreen

        async def finish() -> None:
            if self.session.has_lines:
                self.receipts.forget()
                await self.receipts.check_printer()
                await self.show_base(ReceiptScreen)
            else:
                await self._reset_session()
        self.jobs.enqueue(finish, visit=self.session)

    def on_print_receipt(self, message: PrintReceipt) -> None:
        self._receipt_job(lambda: self.receipts.print(message.receipt))

    def on_email_receipt(self, message: EmailReceipt) -> None:
        self._receipt_job(lambda: self.receipts.email(self.session, message.receipt, self.lang))

    def _receipt_job(self, giving: Callable[[], Awaitable[None]]) -> None:
        """The patron's choice, in the visit's queue; the receipt screen then says what became of it."""
        from kiosk_app.screens.receipt import ReceiptScreen

        async def give() -> None:
            await giving()
            self.say(announce.receipt_note(self.receipts.offer(self.session), self.lang))
            if isinstance(self.screen, ReceiptScreen):
                await self._redraw(self.screen)
        self.jobs.enqueue(give, visit=self.session)

    def end_session(self) -> None:
        self.jobs.enqueue(self._reset_session)

    def on_end_session(self, _: EndSession) -> None:
        self.end_session()

    async def _reset_session(self) -> None:
        """Forget everything of the patron: the visit, the language they chose, the screens.
        The new visit comes first, so the welcome screen is handed that one, not the last."""
        ended, self.session = self.session, self._new_session()
        self.speaker.reset()
        self._library_view()
        self._new_turn = True
        self._pin_card = None
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        if not isinstance(self.screen, WelcomeScreen):
            # in the library's language from the start: it says its welcome as it appears
            self.set_reactive(KioskApp.lang, self.settings.lang)
            await self.switch_screen(WelcomeScreen())
        self.receipts.forget()
        self.working = False
        self.idle.new_visit()
        if self.lang != self.settings.lang:
            self.lang = self.settings.lang
        await self.lending.end_visit(ended)

    def _new_session(self) -> Session:
        now = self.clock()
        return Session(self.session_ids(now), now)

    # -- inactivity ------------------------------------------------------------------------------

    def touch(self) -> None:
        self.idle.touch()
        self._new_turn = True

    def on_patron_active(self, _: PatronActive) -> None:
        self.touch()

    def on_more_time(self, _: MoreTime) -> None:
        self.idle.more_time()
        self._new_turn = True
        self.say(announce.voice_changed(N_("say_more_time"), self.lang, seconds=int(self.idle.timeout_s)),
                 remember=False)

    def tick(self) -> None:
        """Once a second: nothing to clear on an untouched welcome screen; else count down."""
        if self.session.is_empty and isinstance(self.screen, WelcomeScreen):
            self.idle.touch()
            return
        state = self.idle.tick(self.tick_s or 1.0)
        if state is IdleState.EXPIRED:
            self.idle.touch()
            self.end_session()
        elif state is IdleState.WARN:
            if isinstance(self.screen, StillHereScreen):
                self.screen.count(self.idle.remaining_s)
            elif not self._pin_pad_open():
                self._new_turn = True
                self.push_screen(StillHereScreen())

    # -- speech --------------------------------------------------------------------------------

    def say(self, utterance: Utterance | None, *, remember: bool = True) -> None:
        """Hand ``utterance`` to the voice: the first of a turn interrupts what is still said.
        Nothing is said before the core is attached: the voice is the settings model's."""
        if utterance is None or self.core is None:
            return
        interrupt, self._new_turn = self._new_turn, False
        self.speaker.say(utterance, interrupt=interrupt, remember=remember)

    def on_speak(self, message: Speak) -> None:
        self.say(message.utterance)

    def say_screen(self) -> None:
        """Say the current screen's prompt again (a new language, speech turned on)."""
        screen = self.screen
        if isinstance(screen, Viewed):
            self.say(screen.spoken())

    def _voice_key(self) -> None:
        self.touch()

    def action_speech_keys(self) -> None:
        self._voice_key()
        self.say(announce.keys_help(self.lang), remember=False)

    def action_speech_toggle(self) -> None:
        self._voice_key()
        if self.speaker.voice.on:
            self.say(announce.voice_changed(N_("say_speech_off"), self.lang), remember=False)
            self.speaker.toggle()
        else:
            self.speaker.toggle()
            self.say(announce.voice_changed(N_("say_speech_on"), self.lang), remember=False)
            self.say_screen()

    def action_speech_louder(self) -> None:
        self._voice_step(volume=1)

    def action_speech_softer(self) -> None:
        self._voice_step(volume=-1)

    def action_speech_faster(self) -> None:
        self._voice_step(rate=1)

    def action_speech_slower(self) -> None:
        self._voice_step(rate=-1)

    def _voice_step(self, *, volume: int = 0, rate: int = 0) -> None:
        """A step of volume or rate for the visit, said in the new voice."""
        self._voice_key()
        if volume:
            utterance = announce.voice_changed(N_("say_volume"), self.lang, level=self.speaker.louder(volume))
        else:
            utterance = announce.voice_changed(N_("say_rate"), self.lang, rate=self.speaker.faster(rate))
        self.say(utterance, remember=False)

    def action_speech_details(self) -> None:
        self._voice_key()
        details = self.speaker.toggle_details()
        key = {None: N_("say_details_never"), True: N_("say_details_on"), False: N_("say_details_off")}[details]
        self.say(announce.voice_changed(key, self.lang), remember=False)

    def action_speech_repeat(self) -> None:
        self._voice_key()
        if self.speaker.last is not None:
            self.say(self.speaker.last)

    # -- online indicator ------------------------------------------------------------------------

    def check_health(self) -> None:
        self.run_worker(self._check_health(), group="health", exclusive=True)

    async def _check_health(self) -> None:
        self.online = await self.lending.online()
        await self.receipts.check_printer()

    # -- call staff ----------------------------------------------------------------------------

    def action_call_staff(self) -> None:
        self.call_staff()

    def on_staff_called(self, _: StaffCalled) -> None:
        self.call_staff()

    def call_staff(self) -> None:
        """The patron's "call staff" (button or key): the alert (sync_agent.store.help_request, seen by
        the technician screen and the agent's metrics) unless one is open, then the notice that
        help is coming. Nothing on the technician's own screen."""
        if self._technician() is not None:
            return
        self.touch()
        where = self._patron_screen_name()
        self.jobs.enqueue(lambda: self._call_staff(where))

    async def _call_staff(self, where: str) -> None:
        from sync_agent.store import help_request

        if await asyncio.to_thread(help_request.request, self.lending.store, where):
            log.warning("staff called by a patron on the %s screen", where)
        else:
            log.info("staff called again on the %s screen: the call already open stands", where)
        await self.show_notice(HELP_CALLED)

    def _patron_screen_name(self) -> str:
        """The patron screen under any notice, as the technician reads it (``member``, ``returns``...)."""
        base = next((screen for screen in reversed(self.screen_stack) if not isinstance(screen, ModalScreen)),
                    self.screen)
        return type(base).__name__.removesuffix("Screen").lower() or "?"

    # -- technician ------------------------------------------------------------------------------

    def on_technician_requested(self, _: TechnicianRequested) -> None:
        self.jobs.enqueue(self._open_technician)

    async def _open_technician(self) -> None:
        """The visit ends first: nothing of the patron stays under the technician's screens."""
        await self._reset_session()
        await self.open_pin_pad()

    async def open_pin_pad(self) -> None:
        await self.push_screen(PinScreen(self.pin_lock, self.settings.tech_pin_hash), self._pin_answered)

    def _pin_answered(self, accepted: bool | None) -> None:
        if accepted:
            from kiosk_app.screens.technician import TechScreen

            log.warning("technician screen opened")
            self.push_screen(TechScreen())

    def on_close_technician(self, _: CloseTechnician) -> None:
        log.info("technician screen closed")
        self.end_session()

    def on_exit_kiosk(self, _: ExitKiosk) -> None:
        self.exit_kiosk()

    # -- the technician's actions (kiosk_app.tech_service), each followed by a fresh report ----

    def on_sync_now(self, _: SyncNow) -> None:
        self._technician_action(self.tech_service.sync_now())

    def on_retry_dead_letter(self, message: RetryDeadLetter) -> None:
        self._technician_action(self.tech_service.retry_dead(message.entry_id))

    def on_resolve_dead_letter(self, message: ResolveDeadLetter) -> None:
        self._technician_action(self.tech_service.resolve_dead(message.entry_id))

    def on_acknowledge_call(self, _: AcknowledgeCall) -> None:
        self._technician_action(self.tech_service.acknowledge_call())

    def on_reset_breaker(self, message: ResetBreaker) -> None:
        self.tech_service.reset_breaker(message.name)
        if (screen := self._technician()) is not None:
            screen.reload()

    @work(group="tech-action")
    async def _technician_action(self, action: Awaitable[None]) -> None:
        await action
        if (screen := self._technician()) is not None:
            screen.reload()

    @work(group="tech-action")
    async def on_check_store(self, _: CheckStore) -> None:
        result = await self.tech_service.check_store()
        if (screen := self._technician()) is not None:
            screen.show_integrity(result)

    def _pin_pad_open(self) -> bool:
        """A PIN pad (the technician's, or a patron's) takes no scan and stays under no prompt."""
        return isinstance(self.screen, PinScreen | PatronPinScreen)

    def _technician(self) -> TechScreen | None:
        # A device's news can arrive while the app shuts down, its screens already gone; before
        # the core is attached no technician screen can be open.
        if not self.screen_stack or self.core is None:
            return None
        from kiosk_app.screens.technician import TechScreen

        return self.screen if isinstance(self.screen, TechScreen) else None

    def log_tail(self, count: int = 40) -> list[str]:
        return self._log_lines.tail(count) if self._log_lines else []
