"""Every classification of a scanned text, against the demo data and hand-made edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from hardware.codes import Classification, CodeKind, RejectReason, classify
from kiosk_data.codes import HOLD_READY, KIM

DATA = Path(__file__).resolve().parents[2] / "data"


def library_code(kind_digit: str, institution: str, sequence: int) -> str:
    body = f"{kind_digit}{institution}{sequence:08d}"
    return body + luhn.calc_check_digit(body)


@pytest.mark.parametrize("member", json.loads((DATA / "members.json").read_text("utf-8")),
                         ids=lambda m: m["cardNumber"])
def test_every_demo_card_is_a_member_card(member: dict) -> None:
    assert classify(member["cardNumber"]) == Classification(CodeKind.MEMBER_CARD, member["cardNumber"])


@pytest.mark.parametrize("item", json.loads((DATA / "items.json").read_text("utf-8")),
                         ids=lambda i: i["barcode"])
def test_every_demo_item_label_is_an_item_and_its_isbn_an_isbn(item: dict) -> None:
    assert classify(item["barcode"]) == Classification(CodeKind.ITEM, item["barcode"])
    assert classify(item["isbn"]) == Classification(CodeKind.ISBN, item["isbn"])


@pytest.mark.parametrize(("text", "kind", "code"), [
    ("978-0-201-61622-4", CodeKind.ISBN, "9780201616224"),       # hyphenated ISBN-13
    ("0-201-61622-X", CodeKind.ISBN, "9780201616224"),           # ISBN-10 becomes its ISBN-13
    ("020161622x", CodeKind.ISBN, "9780201616224"),
    ("8801234567893", CodeKind.ISBN, "8801234567893"),           # another EAN-13 (not Bookland)
    ("A30042000000014B", CodeKind.ITEM, HOLD_READY),       # Codabar start/stop sent along
    ("d20042000000016c", CodeKind.MEMBER_CARD, KIM),
    (" 30042000000014 ", CodeKind.ITEM, HOLD_READY),
])
def test_normalised_forms(text: str, kind: CodeKind, code: str) -> None:
    assert classify(text) == Classification(kind, code)


@pytest.mark.parametrize(("text", "reason"), [
    ("20042000000017", RejectReason.WRONG_CHECK_DIGIT),          # member card, last digit off
    ("30042000000015", RejectReason.WRONG_CHECK_DIGIT),
    ("9780201616225", RejectReason.WRONG_CHECK_DIGIT),           # ISBN-13 check digit off
    ("0201616221", RejectReason.WRONG_CHECK_DIGIT),              # ISBN-10 check digit off
    ("020161622X1", RejectReason.NOT_LIBRARY_CODE),
    (library_code("2", "0099", 1), RejectReason.OTHER_INSTITUTION),
    (library_code("3", "1234", 77), RejectReason.OTHER_INSTITUTION),
    (library_code("5", "0042", 1), RejectReason.NOT_LIBRARY_CODE),   # unknown type digit
    ("3004200000001", RejectReason.TOO_SHORT),                   # label lost its last digit
    ("2004200000001", RejectReason.TOO_SHORT),
    ("30042", RejectReason.TOO_SHORT),
    ("300420000000140", RejectReason.TOO_LONG),
    ("", RejectReason.TOO_SHORT),
    ("hello world", RejectReason.NOT_LIBRARY_CODE),
    ("https://example.org/book/1", RejectReason.NOT_LIBRARY_CODE),
    ("3004200000001４", RejectReason.NOT_TEXT),                   # a full-width digit
    ("٣٠٠٤٢٠٠٠٠٠٠٠١٤", RejectReason.NOT_TEXT),                  # Arabic-Indic digits
])
def test_rejections_say_why(text: str, reason: RejectReason) -> None:
    result = classify(text)
    assert result.kind is CodeKind.INVALID
    assert result.reason is reason
    assert not result.valid


def test_institution_is_configurable() -> None:
    ours = library_code("3", "0077", 5)
    assert classify(ours, institution="0077").kind is CodeKind.ITEM
    assert classify(ours).reason is RejectReason.OTHER_INSTITUTION
    # A truncated label is recognised by the configured institution, not the default one.
    assert classify(ours[:-1], institution="0077").reason is RejectReason.TOO_SHORT


@settings(deadline=None)  # speed is measured in bench/, not here
@given(st.text(max_size=40))
def test_any_text_gets_a_consistent_answer(text: str) -> None:
    result = classify(text)
    assert (result.reason is None) == result.valid
    if result.kind in (CodeKind.MEMBER_CARD, CodeKind.ITEM):
        assert len(result.code) == 14 and result.code.isascii() and luhn.is_valid(result.code)
        assert result.code[0] == ("2" if result.kind is CodeKind.MEMBER_CARD else "3")
        assert result.code[1:5] == "0042"
    if result.kind is CodeKind.ISBN:
        assert len(result.code) == 13 and result.code.isascii() and result.code.isdigit()


@settings(deadline=None)  # speed is measured in bench/, not here
@given(st.sampled_from("23"), st.integers(0, 10**8 - 1), st.integers(1, 9))
def test_any_single_digit_error_is_caught(kind_digit: str, sequence: int, delta: int) -> None:
    code = library_code(kind_digit, "0042", sequence)
    assert classify(code).valid
    position = 13 if delta % 2 else 5 + sequence % 8  # the check digit or a sequence digit
    wrong = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1:]
    assert classify(wrong).reason is RejectReason.WRONG_CHECK_DIGIT
