"""The receipt of a visit: localized lines and a Code 128 of the visit number.

The same lines are shown on screen, printed (:mod:`kiosk_app.receipt_escpos`) and emailed
(:mod:`kiosk_app.receipt_mail`), so a patron reads one receipt whichever way they take it.

The barcode is drawn with python-barcode's module pattern as terminal half blocks (two modules per
cell), so a staff scanner can read the visit number off the screen or the paper; where the bars do
not fit, only the digits are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from barcode import Code128

from kiosk_app.i18n import Lang, fmt_date, fmt_time, fmt_won, t, tn
from kiosk_app.session import Session

_HALF_BLOCKS = {"11": "█", "10": "▌", "01": "▐", "00": " "}
QUIET_MODULES = 10
BAR_ROWS = 3


def code128_bars(text: str) -> str:
    """One row of half-block cells drawing ``text`` as Code 128, with quiet zones."""
    modules = "0" * QUIET_MODULES + Code128(text, writer=None).build()[0] + "0" * QUIET_MODULES
    if len(modules) % 2:
        modules += "0"
    return "".join(_HALF_BLOCKS[modules[i:i + 2]] for i in range(0, len(modules), 2))


@dataclass(frozen=True, slots=True)
class Receipt:
    session_id: str
    lines: tuple[str, ...]
    bars: str

    def barcode_rows(self, width: int) -> tuple[str, ...]:
        """The bars repeated to a readable height, or nothing when wider than ``width``."""
        return (self.bars,) * BAR_ROWS if len(self.bars) <= width else ()


def build_receipt(session: Session, lang: Lang, tz: tzinfo | None = None, library: str = "", *,
                  unbroken: bool = False) -> Receipt:
    """The visit in print, under the library's name and the visit's date and time: what was
    borrowed, renewed (to its new due date), reserved (with the fee paid), returned (each accepted
    return once, with its fine estimate), cancelled (with the refund due), and what could not be
    confirmed and so does not count. ``unbroken``: dates that a line never breaks inside, for the
    screen (:data:`kiosk_app.i18n.NO_BREAK`)."""
    def day(moment: datetime) -> str:
        return fmt_date(moment, lang, tz, unbroken=unbroken)

    head = [library] if library else []
    lines = [*head, t(lang, "receipt_title"), fmt_time(session.started_at, lang, tz, unbroken=unbroken), ""]
    for reserved in session.reservations:
        lines.append(f"{t(lang, 'receipt_reserved')}  {reserved.title or reserved.barcode}")
        lines.append(f"    {t(lang, 'receipt_fee', amount=fmt_won(reserved.fee))}")
    for line in session.borrows:
        title = line.title or line.barcode
        status = "borrowed_offline" if line.queued else "borrowed"
        lines.append(f"{t(lang, 'receipt_borrowed')}  {title}")
        lines.append(f"    {t(lang, status, date=day(line.due_at))}")
    for renewal in session.renewals:
        if renewal.renewed:
            lines.append(f"{t(lang, 'receipt_renewed')}  {renewal.title}")
            if renewal.due_at is not None:
                lines.append(f"    {t(lang, 'due', date=day(renewal.due_at))}")
    for doubt in session.doubts:
        lines.append(f"{t(lang, 'receipt_unconfirmed')}  {doubt.title or doubt.barcode}")
    for returned in session.returns:
        if not returned.outcome.recorded:
            continue
        lines.append(f"{t(lang, 'receipt_returned')}  {returned.title or returned.barcode}")
        if returned.fine:
            late = tn(lang, "late_fine", "late_fines", returned.days_late, days=returned.days_late,
                      amount=fmt_won(returned.fine))
            lines.append(f"    {late}")
    for cancel in session.cancels:
        lines.append(f"{t(lang, 'receipt_cancelled')}  {cancel.title}")
        if cancel.fee:
            lines.append(f"    {t(lang, 'receipt_refund', amount=fmt_won(cancel.fee))}")
    totals = [("receipt_total_fine", session.total_fine), ("receipt_total_fees", session.fees_charged),
              ("receipt_total_refunds", session.refunds_due)]
    if any(amount for _, amount in totals):
        lines.append("")
        lines += [t(lang, key, amount=fmt_won(amount)) for key, amount in totals if amount]
    if len(lines) == len(head) + 3:
        lines.append(t(lang, "receipt_nothing"))
    lines += ["", f"{t(lang, 'receipt_visit')} {session.id}"]
    return Receipt(session.id, tuple(lines), code128_bars(session.id))
