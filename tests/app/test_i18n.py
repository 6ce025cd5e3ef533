"""The words and their formats: gettext catalogs managed with Babel (kiosk_app/locale), every key
the code names found by ``pybabel extract``, compiled catalogs that say what the ``.po`` files say,
dates and money written by Babel for each language, and a language added by one ``.po`` file."""

import ast
import io
import shutil
import string
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from gettext import GNUTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kiosk_app import i18n

LOCALE = Path(i18n.__file__).parent / "locale"
ROOT = LOCALE.parents[1]
BIN = Path(sys.executable).parent
SEOUL = ZoneInfo("Asia/Seoul")
MOMENT = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)  # 14:30 in Seoul


def _read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def _key(message_id: str | tuple[str, ...]) -> str:
    """A message's key: its id, or for a plural message (``tn``) the singular id."""
    return message_id[0] if isinstance(message_id, tuple) else message_id


def _messages(lang: str) -> dict[str, str]:
    """Each key and its words; a plural message's forms joined by a line break (its fields are
    then those of every form)."""
    return {_key(m.id): "\n".join(m.string) if isinstance(m.string, tuple) else m.string
            for m in _read(LOCALE / lang / "LC_MESSAGES" / "kiosk.po") if m.id and not m.fuzzy}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _compiled(catalog: Catalog) -> GNUTranslations:
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return GNUTranslations(mo)


def _named_in_code(keys: set[str]) -> set[str]:
    """The catalog keys that kiosk_app's code names as string constants, not counting their
    declaration in ``KEYS_HANDED_ON`` (a key named only there is used nowhere)."""
    named: Counter[str] = Counter()
    for path in (ROOT / "kiosk_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in keys:
                named[node.value] += 1
            if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["KEYS_HANDED_ON"]:
                named.subtract(n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant))
    return {key for key, count in named.items() if count > 0}


def test_korean_and_english_have_every_message_and_every_language_the_same_fields():
    template = {_key(m.id) for m in _read(LOCALE / "kiosk.pot") if m.id}
    korean, english = _messages("ko"), _messages("en")
    assert set(korean) == set(english) == template
    for key in template:
        assert korean[key].strip() and english[key].strip(), key
        assert korean[key] != english[key] or key == "tech_test_scan", key
    for lang in i18n.LANGS:
        for key, text in _messages(lang).items():
            assert not text or _fields(text) == _fields(english[key]), (lang, key)


def test_pybabel_extract_finds_every_key_the_code_names_and_the_catalog_has_no_other(tmp_path):
    pot = tmp_path / "extracted.pot"
    subprocess.run([BIN / "pybabel", "-q", "extract", "-F", "pyproject.toml", "-o", pot, "kiosk_app"],
                   cwd=ROOT, check=True)
    extracted = {_key(m.id) for m in _read(pot) if m.id}
    catalog = set(_messages("en"))
    named = _named_in_code(catalog)
    assert named - extracted == set(), "hand these on with N_() in kiosk_app.i18n.KEYS_HANDED_ON"
    assert extracted - catalog == set(), "not in the catalogs: `make translations`, then translate them"
    assert catalog - named == set(), "in the catalogs, but the code never names them"


def test_the_catalogs_are_what_make_translations_makes(tmp_path):
    checked = subprocess.run(["make", "-s", "check-translations", f"BIN={BIN}", f"VENV={tmp_path}", "STAMP="],
                             cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_compiled_catalog_says_what_the_po_file_says(lang):
    source = LOCALE / lang / "LC_MESSAGES" / "kiosk.po"
    with source.with_suffix(".mo").open("rb") as mo:
        built = GNUTranslations(mo)
    fresh = _compiled(_read(source))
    stale = [key for key in _messages(lang) if built.gettext(key) != fresh.gettext(key)]
    assert stale == [], f"{source.with_suffix('.mo')} is older than its .po: run `make translations`"


@pytest.mark.parametrize("lang, date, time, fine", [
    ("ko", "2026년 11월 21일", "2026년 11월 21일 14:30", "미납 연체료 12,000원"),
    ("en", "Nov 21, 2026", "Nov 21, 2026, 14:30", "Unpaid fines: 12,000 won"),
])
def test_dates_times_and_money_are_written_by_babel_in_each_language(lang, date, time, fine):
    assert i18n.fmt_date(MOMENT, lang, SEOUL) == date
    assert i18n.fmt_time(MOMENT, lang, SEOUL) == time
    assert i18n.t(lang, "fines", amount=i18n.fmt_won(12000)) == fine


@pytest.mark.parametrize("lang, date", [("ko", "2026년 11월 21일"), ("en", "Nov 21, 2026")])
def test_a_date_on_screen_has_no_space_a_line_could_break_at(lang, date):
    """Textual wraps at every character ``str.isspace`` calls a space, U+00A0 too; the screen's
    date has none, and reads as the printed one with each space one empty cell."""
    from rich._wrap import divide_line
    from rich.cells import cell_len

    unbroken = i18n.fmt_date(MOMENT, lang, SEOUL, unbroken=True)
    assert not any(char.isspace() for char in unbroken), repr(unbroken)
    assert unbroken.replace(i18n.NO_BREAK, " ") == date

    def breaks_inside(text: str) -> set[int]:
        """The widths, of those the date fits, at which a line breaks inside it."""
        start = len("due ")
        return {width for width in range(cell_len(date), 40)
                if any(start < cut < start + len(date) for cut in divide_line(f"due {text} just borrowed", width))}

    assert breaks_inside(unbroken) == set()
    assert breaks_inside(date), "a date with plain spaces is broken inside at some widths"
    time = i18n.fmt_time(MOMENT, lang, SEOUL, unbroken=True)
    assert unbroken in time and time.replace(i18n.NO_BREAK, " ") == i18n.fmt_time(MOMENT, lang, SEOUL)


def test_formats_follow_the_locale_not_a_fixed_pattern():
    assert i18n.fmt_date(MOMENT, "de", SEOUL) == "21. Nov. 2026"
    assert i18n.fmt_won(1234567).written_in("de") == "1.234.567"


@pytest.fixture
def locale_copy(tmp_path, monkeypatch):
    """The package's locale folder copied, for a language added or a catalog left uncompiled."""
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE, copy)
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    i18n._catalog.cache_clear()
    yield copy
    i18n._catalog.cache_clear()


def _add_language(locale: Path, lang: str, words: dict[str, str]) -> Path:
    catalog = Catalog(locale=lang, domain="kiosk")
    for key, text in words.items():
        catalog.add(key, text)
    folder = locale / lang / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "kiosk.mo").open("wb") as mo:
        write_mo(mo, catalog)
    return folder


def test_a_language_is_one_catalog_and_reads_english_where_it_is_not_translated_yet(locale_copy, monkeypatch):
    _add_language(locale_copy, "de", {"welcome_heading": "Willkommen", "language_name": "Deutsch",
                                      "fines": "Offene Gebühren: {amount} Won"})
    monkeypatch.setattr(i18n, "LANGS", i18n.languages(locale_copy))
    assert i18n.LANGS == ("de", "en", "ko")
    assert i18n.t("de", "welcome_heading") == "Willkommen"
    assert i18n.t("de", "why_busy") == "Lending is busy, please try again in a minute."
    fine = {"amount": i18n.fmt_won(12000)}  # made once, as a refusal's fields are, before a switch
    assert i18n.t("de", "fines", **fine) == "Offene Gebühren: 12.000 Won"
    assert i18n.t("ko", "fines", **fine) == "미납 연체료 12,000원"
    assert [i18n.other(lang) for lang in ("de", "en", "ko")] == ["en", "ko", "de"]
    assert i18n.switch_label("ko") == "Deutsch"
    assert i18n.switch_label("de") == "English"


def test_an_uncompiled_catalog_fails_clearly_naming_the_build(locale_copy):
    (locale_copy / "ko" / "LC_MESSAGES" / "kiosk.mo").unlink()
    with pytest.raises(i18n.MissingCatalog, match="make translations"):
        i18n.t("ko", "welcome_heading")


@pytest.mark.parametrize(("lang", "one", "five"), [
    ("en", "1 day late · estimated fine 100 won", "5 days late · estimated fine 500 won"),
    ("ko", "1일 연체 · 예상 연체료 100원", "5일 연체 · 예상 연체료 500원"),
])
def test_counted_words_take_the_languages_plural_form(lang, one, five):
    late = [i18n.tn(lang, "late_fine", "late_fines", days, days=days, amount=i18n.fmt_won(100 * days))
            for days in (1, 5)]
    assert late == [one, five]
    assert "(s)" not in i18n.tn("en", "earlier_return", "earlier_returns", 3, count=3)


def test_a_time_after_midnight_in_the_library_carries_the_librarys_date_whatever_the_machines_zone(monkeypatch):
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk_app.i18n import fmt_time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        moment = datetime(2026, 12, 7, 17, 49, tzinfo=UTC)  # 02:49 on the 8th in Seoul
        assert fmt_time(moment, "en", ZoneInfo("Asia/Seoul")) == "Dec 8, 2026, 02:49"
        assert fmt_time(moment, "ko", ZoneInfo("Asia/Seoul")) == "2026년 12월 8일 02:49"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
