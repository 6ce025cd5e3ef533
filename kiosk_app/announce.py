"""The outcomes of a visit in words for the ear: what the app says when a return, a borrow, a
renewal, a cancel or a receipt is done, and when the patron changes the voice.

Public words count and name the outcome ("1 book returned"); the details add the title and the
amounts (:mod:`kiosk_app.utterance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from hardware.speech import Tone
from kiosk_app.i18n import Lang, fmt_date, fmt_won, t, tn
from kiosk_app.screens.returns import STATUS_OF
from kiosk_app.session import BorrowLine, CancelLine, RenewLine, Returned, ReturnLine, Session
from kiosk_app.utterance import Utterance, utter

if TYPE_CHECKING:
    from kiosk_app.receipt_desk import ReceiptOffer

SPOKEN_DATE = "yMMMMd"
"""Dates with the month's whole name: "Dec" would be read as a word."""


def returned(line: ReturnLine, session: Session, lang: Lang) -> Utterance:
    outcome = line.outcome
    title = t(lang, "say_title", title=line.title or t(lang, "unknown_title"))
    public: list[str] = []
    if outcome.recorded:
        count = sum(1 for each in session.returns if each.outcome.recorded)
        public.append(tn(lang, "say_returned", "say_returned_plural", count, count=count))
    if outcome is not Returned.RETURNED:
        public.append(t(lang, STATUS_OF[outcome]))
    details = [title, *public]
    if line.fine:
        public.append(t(lang, "say_late"))
        details.append(tn(lang, "late_fine", "late_fines", line.days_late, days=line.days_late,
                          amount=fmt_won(line.fine)))
    return utter(lang, public, details, Tone.SUCCESS if outcome.recorded else Tone.ATTENTION)


def borrowed(line: BorrowLine, lang: Lang, tz: tzinfo) -> Utterance:
    date = _date(line.due_at, lang, tz)
    words = t(lang, "borrowed_offline", date=date) if line.queued else t(lang, "borrowed", date=date)
    return utter(lang, [words], [t(lang, "say_title", title=line.title or line.barcode), words], Tone.SUCCESS)


def renewed(lines: Sequence[RenewLine], lang: Lang, tz: tzinfo) -> Utterance | None:
    """Renewals asked at once ("renew all"): how many were renewed, and why each other was not."""
    if not lines:
        return None
    done = [line for line in lines if line.renewed]
    public = [tn(lang, "say_renewed", "say_renewed_plural", len(done), count=len(done))] if done else []
    details: list[str] = []
    for line in lines:
        details.append(t(lang, "say_title", title=line.title))
        if line.renewed:
            details.append(t(lang, "renewed_to", date=_date(line.due_at, lang, tz)) if line.due_at
                           else t(lang, "renewed"))
        else:
            public.append(t(lang, line.why))
            details.append(t(lang, line.why))
            details += [t(lang, reason.key, **reason.fields) for reason in line.reasons]
    return utter(lang, list(dict.fromkeys(public)), details,
                 Tone.SUCCESS if len(done) == len(lines) else Tone.ATTENTION)


def _date(moment: datetime, lang: Lang, tz: tzinfo) -> str:
    return fmt_date(moment, lang, tz, SPOKEN_DATE)


def cancelled(line: CancelLine, lang: Lang) -> Utterance:
    return utter(lang, [t(lang, "say_cancelled")],
                 [t(lang, "say_title", title=line.title), t(lang, "visit_cancelled", fee=fmt_won(line.fee))],
                 Tone.SUCCESS)


def receipt_note(offer: ReceiptOffer, lang: Lang) -> Utterance | None:
    """What became of the receipt the patron chose ("Receipt printed."); the address only in the details."""
    if not offer.note:
        return None
    tone = Tone.SUCCESS if offer.note in ("receipt_printed", "receipt_mailed") else Tone.ERROR
    return utter(lang, [t(lang, offer.note, address=t(lang, "say_your_address"))],
                 [t(lang, offer.note, address=offer.masked or "")], tone)


def voice_changed(key: str, lang: Lang, **fields: object) -> Utterance:
    """The patron pressed a voice key: the new setting, in the new voice."""
    return utter(lang, [t(lang, key, **fields)], tone=None)


def keys_help(lang: Lang) -> Utterance:
    return utter(lang, [t(lang, "say_keys")])
