"""The member's screen: name, fines, reservations ready for pickup (with cancel), loans with due
dates (overdue highlighted) with "renew" and one "renew all", and what this visit has done so
far."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Button, Static

from kiosk_app.i18n import fmt_date, fmt_time, fmt_won
from kiosk_app.messages import CancelReservation, FinishVisit, RenewRequested
from kiosk_app.screens.common import KioskScreen, LowSpacer, TopBar
from kiosk_app.screens.returns import STATUS_OF
from kiosk_app.session import Became, BorrowLine, Earlier, RenewLine, Session
from kiosk_app.utterance import Utterance, utter

EARLIER_TEXT = {
    ("rent", Became.UNDONE): "earlier_rent_undone",
    ("rent", Became.UNDOING): "earlier_rent_undoing",
    ("rent", Became.RESTORED): "earlier_rent_restored",
    ("rent", Became.RESTORING): "earlier_rent_restoring",
    ("rent", Became.NOT_MADE): "earlier_rent_not_made",
    ("rent", Became.ENDED): "earlier_rent_ended",
    ("rent", Became.CHECKING): "earlier_rent_checking",
    ("rent", Became.SEE_DESK): "earlier_rent_see_desk",
    ("reserve", Became.UNDONE): "earlier_reserve_undone",
    ("reserve", Became.UNDOING): "earlier_reserve_undoing",
    ("reserve", Became.NOT_MADE): "earlier_reserve_not_made",
    ("reserve", Became.ENDED): "earlier_reserve_ended",
    ("reserve", Became.CHECKING): "earlier_reserve_checking",
    ("reserve", Became.SEE_DESK): "earlier_reserve_see_desk",
}
"""What the patron reads about an intent an earlier visit left unconfirmed."""
UNCONFIRMED_TEXT = {"rent": "visit_rent_unconfirmed", "reserve": "visit_reserve_unconfirmed"}
WORKING_SHOWN_AFTER_S = 0.2
"""How long a borrow or renewal is asked before "one moment…" is shown. One answered sooner (a
borrow with the library system healthy takes tens of milliseconds) shows its row at once, without
first drawing a hint that the next frame takes back: a repaint nobody reads, made while the
borrow's intent is being written and its call sent, and competing with them for the one event
loop. A patron starts to wonder after a few tenths of a second; by then the hint is there."""


class MemberScreen(KioskScreen):
    BACK = "#done"
    _working_timer: Timer | None = None
    """Shows "one moment…" once the answer is slow (:data:`WORKING_SHOWN_AFTER_S`)."""

    def compose(self) -> ComposeResult:
        session = self.view.session
        patron = session.patron
        assert patron is not None
        yield TopBar(self.view)
        yield LowSpacer(id="low-spacer")
        with Horizontal(id="member-head"):
            yield Static(self.tr("member_heading", name=escape(patron.member.name_in(self.lang))), classes="heading")
            if patron.member.fines_written:  # owed in another currency than won, as the library wrote it
                yield Static(self.tr("block_owed_written", amount=escape(patron.member.fines_written)),
                             id="fines")
            elif patron.page.fines:
                yield Static(self.tr("fines", amount=fmt_won(patron.page.fines)), id="fines")
        if patron.member.said:  # the library's own words about the card (a SIP2 AF), as text
            yield Static(self.tr("library_says", words=escape(patron.member.said)), id="said")
        if patron.cached:
            yield Static(self.tr("as_of", time=self._time(patron.page.as_of)), id="as-of")
        if patron.earlier:
            with Vertical(id="earlier"):
                yield Static(self.tr("earlier_heading"), classes="subheading")
                for earlier in patron.earlier:
                    yield Static(self._earlier(earlier), classes="row-status")
        with Horizontal(id="member-body"):
            with VerticalScroll(classes="column"):
                yield Static(self.tr("reservations_ready"), classes="subheading")
                yield from self._reservations(session)
            with VerticalScroll(classes="column", id="loans"):
                yield Static(self.tr("loans"), classes="subheading")
                yield from self._loans(session)
            with VerticalScroll(classes="column", id="visit"):
                yield Static(self.tr("this_visit"), classes="subheading")
                yield from self._visit(session)
        yield Static(self.tr("working") if self.view.working else self.tr("member_scan_book"),
                     classes="hint working" if self.view.working else "hint", id="hint")
        yield Button(self.tr("done"), id="done", classes="done", variant="primary")

    def _time(self, moment: datetime) -> str:
        return fmt_time(moment, self.lang, self.view.tz, unbroken=True)

    def _date(self, moment: datetime) -> str:
        return fmt_date(moment, self.lang, self.view.tz, unbroken=True)

    def _earlier(self, earlier: Earlier) -> str:
        title = escape(earlier.title or earlier.barcode)
        return self.tr(EARLIER_TEXT[earlier.kind, earlier.became], time=self._time(earlier.at),
                       title=title, fee=fmt_won(earlier.fee))

    def _reservations(self, session: Session) -> ComposeResult:
        patron = session.patron
        assert patron is not None
        done = {line.barcode for line in session.borrows} | {line.barcode for line in session.cancels}
        ready = [entry for entry in patron.page.reservations if entry.barcode not in done]
        if not ready:
            yield Static(self.tr("none"), classes="empty")
        for entry in ready:
            with Vertical(classes="row", id=f"hold-{entry.barcode}"):
                yield Static(escape(entry.title), classes="row-title")
                if entry.hold_until:
                    yield Static(self.tr("hold_until", date=self._date(entry.hold_until)),
                                 classes="row-status")
                yield Button(self.tr("cancel_reservation"), id=f"cancel-{entry.rental_id}",
                             classes="cancel")

    def _loans(self, session: Session) -> ComposeResult:
        patron = session.patron
        assert patron is not None
        returned = {line.barcode for line in session.returns}
        loans = [entry for entry in patron.page.loans if entry.barcode not in returned]
        listed = {entry.barcode for entry in loans}
        lent_now = [line for line in session.borrows if line.barcode not in returned | listed]
        if not loans and not lent_now:
            yield Static(self.tr("none"), classes="empty")
        for line in reversed(lent_now):  # this visit's loans are on the card too
            yield self._loan_of_visit(line)
        renewable = not patron.cached  # renewals need the central side
        if renewable and len(loans) > 1:
            yield Button(self.tr("renew_all"), id="renew-all", classes="cancel")
        for entry in loans:
            tags = []
            if entry.overdue:
                tags.append(f"[b reverse] {self.tr('overdue')} [/]")
            if entry.barcode in patron.pending:
                tags.append(f"[i]{self.tr('pending')}[/]")
            due = self.tr("due", date=self._date(entry.due_at)) if entry.due_at else ""
            with Vertical(classes="row overdue" if entry.overdue else "row"):
                yield Static(escape(entry.title), classes="row-title")
                yield Static(" ".join([due, *tags]), classes="row-status")
                if renewable:
                    yield Button(self.tr("renew"), id=f"renew-{entry.barcode}", classes="cancel")

    def _loan_of_visit(self, line: BorrowLine) -> Vertical:
        status = " ".join([self.tr("due", date=self._date(line.due_at)),
                           f"[i]{self.tr('pending' if line.queued else 'loan_just_borrowed')}[/]"])
        return Vertical(Static(escape(line.title or line.barcode), classes="row-title"),
                        Static(status, classes="row-status"), classes="row")

    def _renewal_row(self, line: RenewLine) -> Vertical:
        if line.renewed and line.due_at is not None:
            status = self.tr("renewed_to", date=self._date(line.due_at))
        else:
            status = self.tr("renewed" if line.renewed else line.why)
        for reason in line.reasons:
            status += "\n· " + self.tr(reason.key, **reason.fields)
        if line.said:
            status += "\n" + self.tr("library_says", words=escape(line.said))
        return Vertical(Static(escape(line.title), classes="row-title"), Static(status, classes="row-status"),
                        classes="row borrowed" if line.renewed else "row not-returned")

    def _visit(self, session: Session) -> ComposeResult:
        for doubt in reversed(session.doubts):
            with Vertical(classes="row not-returned"):
                yield Static(escape(doubt.title or doubt.barcode), classes="row-title")
                yield Static(self.tr(UNCONFIRMED_TEXT[doubt.kind]), classes="row-status")
        for reserved in reversed(session.reservations):
            with Vertical(classes="row"):
                yield Static(escape(reserved.title or reserved.barcode), classes="row-title")
                yield Static(self.tr("visit_reserved", fee=fmt_won(reserved.fee)), classes="row-status")
        for line in reversed(session.borrows):
            yield self._borrow_row(line)
        for renewal in reversed(session.renewals):
            yield self._renewal_row(renewal)
        for returned in reversed(session.returns):
            with Vertical(classes="row" if returned.outcome.recorded else "row not-returned"):
                yield Static(escape(returned.title or returned.barcode), classes="row-title")
                status = self.tr(STATUS_OF[returned.outcome])
                if returned.fine:
                    status += " · " + self.trn("late_fine", "late_fines", returned.days_late,
                                              days=returned.days_late, amount=fmt_won(returned.fine))
                yield Static(status, classes="row-status")
        for cancel in session.cancels:
            with Vertical(classes="row"):
                yield Static(escape(cancel.title), classes="row-title")
                yield Static(self.tr("visit_cancelled", fee=fmt_won(cancel.fee)), classes="row-status")

    def _borrow_row(self, line: BorrowLine) -> Vertical:
        status = "visit_borrowed_offline" if line.queued else "borrowed"
        return Vertical(Static(escape(line.title or line.barcode), classes="row-title"),
                        Static(self.tr(status, date=self._date(line.due_at)), classes="row-status"),
                        classes="row borrowed")

    def show_working(self, working: bool) -> None:
        """"One moment…" while a borrow is asked, shown only once it is slow
        (:data:`WORKING_SHOWN_AFTER_S`), and taken back when the answer comes; without redrawing
        the screen."""
        if self._working_timer is not None:
            self._working_timer.stop()
            self._working_timer = None
        if working:
            self._working_timer = self.set_timer(WORKING_SHOWN_AFTER_S, lambda: self._hint(True))
        else:
            self._hint(False)

    def _hint(self, working: bool) -> None:
        """The hint's words, changed only if they differ. Where its height is set (the tall
        layouts), other words in it need no new layout of the page."""
        try:
            hint = self.query_one("#hint", Static)
        except NoMatches:  # not composed yet: compose draws it from the view
            return
        if hint.has_class("working") == working:
            return
        height = hint.styles.height
        hint.update(self.tr("working") if working else self.tr("member_scan_book"),
                    layout=height is None or height.is_auto)
        hint.set_class(working, "working")

    async def add_borrow(self, line: BorrowLine) -> None:
        """Show a new loan at the top of this visit and at the top of the loans, in view, and take
        its hold off the list, without rebuilding the screen (a redraw of a long member page costs
        tens of milliseconds). The visit's row, the answer the patron waits for, goes first. The
        columns are found by id (Textual's cached lookup), not by walking the screen's widgets."""
        try:
            visit = self.query_one("#visit", VerticalScroll)
            loans = self.query_one("#loans", VerticalScroll)
        except NoMatches:  # not composed yet: compose draws it from the session
            return
        await visit.mount(self._borrow_row(line), after=visit.children[0])
        try:
            await self.query_one(f"#hold-{line.barcode}").remove()
        except NoMatches:  # not one of the holds listed
            pass
        for empty in [child for child in loans.children if child.has_class("empty")]:
            await empty.remove()
        loan = self._loan_of_visit(line)
        await loans.mount(loan, after=loans.children[0])
        loan.scroll_visible(animate=False)  # where the lists scroll as one (a small screen), it may be out of view

    def spoken(self) -> Utterance:
        """The prompt; the details greet the member by name and count what waits and what is late."""
        patron = self.view.session.patron
        assert patron is not None
        public = [self.tr("say_member")]
        if patron.cached:
            public.append(self.tr("as_of", time=self._time(patron.page.as_of)))
        if count := len(patron.earlier):
            public.append(self.trn("say_earlier", "say_earlier_plural", count, count=count))
        prompt = [self.tr("member_scan_book"), self.tr("say_done")]
        details = [self.tr("member_heading", name=patron.member.name_in(self.lang)), *public[1:-1 if count else None]]
        details += [self._earlier(earlier) for earlier in patron.earlier]
        if patron.member.said:
            details.append(self.tr("library_says", words=patron.member.said))
        if patron.page.fines:
            details.append(self.tr("fines", amount=fmt_won(patron.page.fines)))
        if ready := len(patron.page.reservations):
            details.append(self.trn("say_holds_ready", "say_holds_ready_plural", ready, count=ready))
        if late := sum(1 for entry in patron.page.loans if entry.overdue):
            details.append(self.trn("say_overdue", "say_overdue_plural", late, count=late))
        return utter(self.lang, [*public, *prompt], [*details, *prompt])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id == "done":
            self.post_message(FinishVisit())
        elif button_id.startswith("cancel-"):
            self.post_message(CancelReservation(int(button_id.removeprefix("cancel-"))))
        elif button_id == "renew-all":
            self.post_message(RenewRequested(None))
        elif button_id.startswith("renew-"):
            self.post_message(RenewRequested(button_id.removeprefix("renew-")))
