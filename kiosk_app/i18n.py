"""Every patron-visible word in each language the kiosk has a catalog for, and dates and money
written each language's own way.

The words are gettext catalogs, one per language: ``locale/<lang>/LC_MESSAGES/kiosk.po``, compiled
to ``kiosk.mo`` when the package is built (``setup.py``), so adding a language is adding a ``.po``
file (docs/translations.md). A message's id is a symbolic key (``"why_busy"``): the code says
which message, the catalogs say how it reads; placeholders are ``str.format`` fields.

A missing ``.mo`` (a source checkout that was never installed) fails at the first word the kiosk
asks for, that is at startup, naming the command that builds it. Compiling on the fly instead
would need Babel's catalog parser and a writable package on every start of a kiosk whose system
is read-only, and would show patrons words that no build ever checked.

Babel's locale data is read only when a date or an amount is first written (then kept by Babel),
not when this module is imported: every screen imports it, and the kiosk's cold start counts.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from kiosk_app.korean_particles import choose_particles

Lang = str
"""A language code with a catalog: the name of its folder under ``locale/`` (``ko``, ``en``)."""

DOMAIN = "kiosk"
LOCALE_DIR = files("kiosk_app") / "locale"
FALLBACK: Lang = "en"
"""Where a word a newer language's catalog does not have yet is read from, rather than its key."""


def languages(locale: Traversable) -> tuple[Lang, ...]:
    """Every language with a catalog folder under ``locale``: a new ``.po`` is a new language."""
    return tuple(sorted(entry.name for entry in locale.iterdir() if entry.is_dir()))


LANGS = languages(LOCALE_DIR)


class MissingCatalog(RuntimeError):
    """A language's compiled catalog is not where the package keeps it."""


def N_(key: str) -> str:  # noqa: N802 - the name gettext tools and pyproject's [tool.babel] know
    """Marks ``key`` as a message for ``pybabel extract`` where the code hands it on as data."""
    return key


KEYS_HANDED_ON = (
    # kiosk_app/app.py: refusals of scans and the out-of-service words
    N_("why_isbn"), N_("next_isbn"), N_("why_invalid"), N_("next_invalid"),
    N_("why_second_card"), N_("next_second_card"), N_("why_save_failed"),
    N_("next_save_failed"), N_("why_store_disk_full"), N_("why_store_corrupt"),
    N_("why_store_unwritable"), N_("next_store_unsure"), N_("next_store_staff"),
    # kiosk_app/lending.py and session.py: refusals and renewals, each as a why and a next step
    N_("why_reserved_for_other"), N_("next_reserved_for_other"), N_("why_limit_reached"),
    N_("next_limit_reached"), N_("why_member_blocked"), N_("next_member_blocked"),
    N_("why_member_withdrawn"), N_("next_member_withdrawn"), N_("why_book_withdrawn"),
    N_("next_book_withdrawn"), N_("why_return_pending"), N_("next_return_pending"),
    N_("why_book_unavailable"), N_("next_ask_desk"), N_("why_payment_declined"), N_("why_refused"),
    N_("why_member_unknown"), N_("why_book_unknown"), N_("why_busy"), N_("next_busy"),
    N_("why_pin_locked"), N_("next_pin_locked"), N_("why_pin_not_set"),
    N_("why_payment_busy"), N_("next_payment_busy"), N_("why_rent_unconfirmed"),
    N_("next_rent_unconfirmed"), N_("why_reserve_unconfirmed"), N_("next_reserve_unconfirmed"),
    N_("next_reserved_kept"), N_("why_offline_limit"), N_("next_offline_limit"),
    N_("why_member_offline"), N_("next_member_offline"), N_("why_lending_out_of_service"),
    N_("next_lending_out_of_service"), N_("renew_no_limit"),
    N_("renew_no_reserved"), N_("renew_no_blocked"), N_("renew_no_overdue"), N_("renew_no_other"),
    N_("renew_busy"), N_("renew_unconfirmed"), N_("renew_no_denied"), N_("why_card_cannot_borrow"),
    N_("next_card_cannot_borrow"), N_("why_already_yours"), N_("next_already_yours"),
    # kiosk_app/screens/returns.py and receipt.py: what became of a return, a borrow, a visit
    N_("returned"), N_("returned_offline"), N_("return_unchecked"), N_("return_already"),
    N_("return_not_on_loan"), N_("return_on_hold"), N_("unknown_title"), N_("borrowed"),
    N_("borrowed_offline"), N_("visit_borrowed_offline"), N_("visit_rent_unconfirmed"),
    N_("visit_reserve_unconfirmed"), N_("receipt_returned"), N_("receipt_borrowed"),
    N_("receipt_renewed"), N_("receipt_cancelled"), N_("receipt_reserved"),
    N_("receipt_unconfirmed"), N_("receipt_fee"), N_("receipt_refund"), N_("receipt_total_fees"),
    N_("receipt_total_refunds"), N_("receipt_total_fine"), N_("receipt_visit"),
    # kiosk_app/screens/member.py: loans, and what became of earlier visits
    N_("overdue"), N_("pending"), N_("loan_just_borrowed"), N_("earlier_reserve_undone"), N_("earlier_reserve_undoing"),
    N_("earlier_reserve_not_made"), N_("earlier_rent_undone"), N_("earlier_rent_undoing"),
    N_("earlier_rent_not_made"), N_("earlier_rent_checking"), N_("earlier_reserve_checking"),
    N_("earlier_rent_see_desk"), N_("earlier_reserve_see_desk"), N_("earlier_rent_restored"),
    N_("earlier_rent_restoring"), N_("earlier_rent_ended"), N_("earlier_reserve_ended"),
    # kiosk_app/screens/technician.py: states, reasons and kinds in words
    N_("tech_state_connected"), N_("tech_state_reconnecting"), N_("tech_state_error"),
    N_("tech_state_stopped"), N_("tech_reason_not_found"), N_("tech_reason_permission"),
    N_("tech_reason_in_use"), N_("tech_reason_not_serial"), N_("tech_reason_disconnected"),
    N_("tech_reject_wrong check digit"), N_("tech_reject_other institution"),
    N_("tech_reject_too short"), N_("tech_reject_too long"), N_("tech_reject_not a library code"),
    N_("tech_reject_not text"), N_("tech_reject_line too long"), N_("tech_reject_incomplete line"),
    N_("tech_service_up"), N_("tech_service_down"), N_("tech_service_unreachable"),
    N_("tech_service_login_refused"), N_("tech_service_rental"), N_("tech_service_payment"),
    N_("tech_service_book"),
    N_("tech_breaker_closed"), N_("tech_breaker_open"), N_("tech_breaker_half-open"),
    N_("tech_dependency_lending"), N_("tech_dependency_returns"), N_("tech_dependency_views"),
    N_("tech_dependency_catalog"),
    N_("tech_kind_member_card"), N_("tech_kind_item"), N_("tech_kind_isbn"), N_("tech_kind_invalid"),
    N_("tech_kiosk_ok"), N_("tech_kiosk_unauthorized"), N_("tech_kiosk_clock_skew"),
    N_("tech_kiosk_keys_rejected"), N_("tech_kiosk_login_refused"), N_("tech_entry_return"), N_("tech_entry_rent"),
    N_("tech_entry_cancel"), N_("tech_entry_unrent"),
    N_("tech_screen_welcome"), N_("tech_screen_returns"), N_("tech_screen_member"), N_("tech_screen_receipt"),
)
"""Keys that reach :func:`t` through a table or a variable, where ``pybabel extract`` cannot see
them: declared here so that ``make translations`` keeps them (tests/app/test_i18n.py fails when a
key the code names is not extracted)."""


@cache
def _catalog(lang: Lang) -> gettext.NullTranslations:
    """The compiled catalog of ``lang``, read once; words it lacks come from :data:`FALLBACK`."""
    compiled = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not compiled.is_file():
        raise MissingCatalog(f"no compiled catalog for language {lang!r} at {compiled}: build the package "
                             "(pip install -e .) or run `make translations`")
    with compiled.open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    if lang != FALLBACK:
        catalog.add_fallback(_catalog(FALLBACK))
    return catalog


@dataclass(frozen=True, slots=True)
class Won:
    """An amount of money, written out by :func:`t` in the language of the message it fills, so
    that a refusal made before the patron switches language still reads right afterwards."""

    amount: int

    def written_in(self, lang: Lang) -> str:
        """Grouped the language's way ("1,000"); the unit ("원", "won") belongs to the message,
        because Korean writes prices "1,000원" where CLDR's currency pattern says "₩1,000"."""
        from babel.numbers import format_decimal  # locale data on first use, see the module's docstring

        return format_decimal(self.amount, locale=lang)


def t(lang: Lang, key: str, **fields: object) -> str:
    """The message ``key`` in ``lang``, with ``fields`` filled in (amounts as :class:`Won`)."""
    return _filled(_catalog(lang).gettext(key), lang, fields)


def tn(lang: Lang, key: str, plural_key: str, n: int, **fields: object) -> str:
    """The message whose form depends on ``n`` ("1 day late", "5 days late"): the language's
    plural rule (its catalog's ``Plural-Forms``; Korean has one form) picks between ``key`` and
    ``plural_key``'s translations."""
    return _filled(_catalog(lang).ngettext(key, plural_key, n), lang, fields)


def _filled(text: str, lang: Lang, fields: dict[str, object]) -> str:
    if not fields:
        return text
    filled = text.format(**{name: value.written_in(lang) if isinstance(value, Won | ClockTime) else value
                            for name, value in fields.items()})
    return choose_particles(filled)  # "'채식주의자'는", not "은(는)": the word is known only now


@dataclass(frozen=True, slots=True)
class ClockTime:
    """A time of day ("14:35") in the library's time zone, written by :func:`t` the language's
    way, so a notice made before the patron switches language still reads right afterwards."""

    moment: datetime
    tz: tzinfo

    def written_in(self, lang: Lang) -> str:
        from babel.dates import format_skeleton

        return format_skeleton("Hm", self.moment.astimezone(self.tz), locale=lang)


def other(lang: Lang) -> Lang:
    """The language the language button switches to: the next one with a catalog, round."""
    return LANGS[(LANGS.index(lang) + 1) % len(LANGS)]


def switch_label(lang: Lang) -> str:
    """What the language button says: the name of the language it switches to, in that language."""
    following = other(lang)
    return t(following, "language_name")


LIBRARY_TZ = timezone(timedelta(hours=9), "KST")
"""The library's time (Seoul): dates and times on screen, and the days a fine counts."""

NO_BREAK = "\u2800"
"""What joins the parts of a date on screen, so that a line never breaks inside "2026년 12월 21일"
or "Dec 21, 2026". The character for it is U+00A0 NO-BREAK SPACE, but the screen's text wrapping
(Rich's ``divide_line``, which Textual uses) breaks lines at every Unicode space, U+00A0 included
(Textualize/rich#3545); U+2800 BRAILLE PATTERN BLANK draws the same one empty cell and is no space
to it. Only the screen gets it: print and email keep plain spaces."""


def fmt_date(moment: datetime, lang: Lang, tz: tzinfo | None = None, skeleton: str = "yMMMd", *,
             unbroken: bool = False) -> str:
    """Day, month and year as the language writes them ("2026년 11월 21일", "Nov 21, 2026"); the
    voice asks for ``"yMMMMd"`` ("November 21, 2026": a speech engine reads "Nov" as a word);
    ``unbroken`` (on screen): joined by :data:`NO_BREAK`, so never wrapped apart."""
    from babel.dates import format_skeleton  # locale data on first use, see the module's docstring

    written = format_skeleton(skeleton, moment.astimezone(tz), locale=lang)
    return written.replace(" ", NO_BREAK).replace("\u00a0", NO_BREAK) if unbroken else written


def fmt_time(moment: datetime, lang: Lang, tz: tzinfo | None = None, *, unbroken: bool = False) -> str:
    """The date and the 24-hour time, joined the language's way ("2026년 11월 21일 14:30");
    ``unbroken``: the date's parts as in :func:`fmt_date` (a line may still break before the time)."""
    from babel.dates import format_skeleton, get_datetime_format

    local = moment.astimezone(tz)
    joined = str(get_datetime_format("medium", locale=lang))  # a "{1} {0}" string, though typed as a pattern
    # The date in the same zone as the time: left to the machine's zone (UTC on a kiosk), a receipt
    # printed at 02:49 in Seoul would carry the day before.
    return joined.format(format_skeleton("Hm", local, locale=lang),
                         fmt_date(local, lang, local.tzinfo, unbroken=unbroken))


def fmt_won(amount: int) -> Won:
    """An amount in won for a message's field; :func:`t` writes it in the message's language."""
    return Won(amount)
