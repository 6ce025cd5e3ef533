"""The SIP2 wire contract: checksums, trailers, terminators, encodings and dates; the message
table behind named fields, strict building and lenient reading."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pysip2.models import MESSAGE_SPECS_BY_ID

from kiosk_data.codes import OVERDUE
from sync_agent.wire.sip2 import (
    ANSWER_OF,
    FIXED_WIDTH,
    ChecksumError,
    Dialect,
    Frame,
    WireError,
    checksum,
    read_amount,
    read_int,
)
from sync_agent.wire.sip2_messages import MESSAGES, PATRON_STATUS, REPEATABLE, SUPPORTED_MESSAGES

STAMP = "20261121    143000"


def test_checksum_makes_the_16_bit_sum_zero() -> None:
    message = b"9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZ"
    value = checksum(message)
    assert len(value) == 4 and value == value.upper()
    assert (sum(message) + int(value, 16)) & 0xFFFF == 0


def test_a_frame_survives_the_round_trip_with_hangul_and_trailer() -> None:
    dialect = Dialect()
    frame = Frame("18", "0400" + "01" + "20261121    143000", (("AB", OVERDUE), ("AJ", "소년이 온다")))
    raw = dialect.encode(frame, sequence=3)
    assert raw.endswith(b"\r") and b"AY3AZ" in raw
    back = dialect.decode(raw)
    assert back.get("AJ") == "소년이 온다" and back.sequence == 3 and back.flag(0, 2) == "04"


def test_a_flipped_byte_is_a_checksum_error() -> None:
    raw = bytearray(Dialect().encode(Frame("94", "1"), sequence=0))
    raw[2] = ord("0")
    with pytest.raises(ChecksumError):
        Dialect().decode(bytes(raw))


def test_crlf_and_no_checksums_and_a_legacy_code_page() -> None:
    dialect = Dialect(encoding="cp949", terminator=b"\r\n", checksums=False)
    raw = dialect.encode(Frame("36", "Y" + "20261121    143000", (("AF", "안녕히 가세요"),)))
    assert raw.endswith(b"|\r\n") and b"AZ" not in raw
    assert dialect.decode(raw).get("AF") == "안녕히 가세요"


@pytest.mark.parametrize("raw", [b"", b"XX123", b"12" + b"1" * 5, b"\xff\xfe garbage"])
def test_unreadable_frames_are_wire_errors(raw: bytes) -> None:
    with pytest.raises(WireError):
        Dialect(checksums=False).decode(raw)


def test_values_cannot_split_a_message() -> None:
    raw = Dialect(checksums=False).encode(Frame("17", "20261121    143000", (("AB", "a|b\rc"),)))
    assert raw.count(b"|") == 1 and raw.count(b"\r") == 1


def test_dates_are_local_to_the_library_and_read_back() -> None:
    dialect = Dialect(timezone=ZoneInfo("Asia/Seoul"))
    when = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)
    assert dialect.date(when) == "20261121    143000"
    assert dialect.parse_date("20261121    143000") == when
    assert dialect.parse_date("20261121   Z053000") == when
    assert dialect.parse_date("2026-11-21") == datetime(2026, 11, 21, tzinfo=ZoneInfo("Asia/Seoul"))
    assert dialect.parse_date("soon") is None


def test_the_table_gives_the_fixed_widths_of_sip_2_00() -> None:
    assert {command: FIXED_WIDTH[command] for command in ("63", "64", "11", "12", "09", "18", "98", "66")} == {
        "63": 31, "64": 59, "11": 38, "12": 22, "09": 37, "18": 24, "98": 34, "66": 27}
    assert all(message.answer in MESSAGES for message in MESSAGES.values() if message.answer)
    assert [ANSWER_OF[command] for command in SUPPORTED_MESSAGES if command != "97"] == [
        "24", "12", "10", "24", "98", "94", "64", "36", "38", "18", "20", "26", "16", "30", "66"]


@pytest.mark.parametrize("position, name", list(enumerate(PATRON_STATUS)))
def test_each_patron_status_flag_is_read_by_its_own_name(position, name) -> None:
    status = " " * position + "Y" + " " * (13 - position)
    frame = Dialect(checksums=False).decode(b"64" + status.encode() + b"000" + STAMP.encode() + b"0" * 24
                                            + b"AO0042|AApatron|AEname|\r")
    assert frame.fixed_field(name) == "Y" and frame.yes(name)
    assert frame.patron_status() == {name}


def test_build_writes_named_fixed_fields_where_sip_puts_them() -> None:
    frame = Frame.build("64", (("AO", "0042"), ("AA", "2004"), ("AE", "Kim")), transaction_date=STAMP,
                        charge_privileges_denied=True, excessive_outstanding_fines=True,
                        charged_items_count=3)
    assert frame.fixed == "Y" + " " * 9 + "Y" + " " * 3 + "000" + STAMP + "0000" * 2 + "0003" + "0000" * 3
    assert frame.count("charged_items_count") == 3 and frame.count("hold_items_count") == 0
    checkin = Frame.build("10", (("AO", "0042"), ("AB", "3004"), ("AQ", "0042")), ok=True, transaction_date=STAMP)
    assert checkin.yes("ok") and not checkin.yes("alert") and checkin.fixed.startswith("1NNN")


@pytest.mark.parametrize("command, fixed, fields, problem", [
    ("64", {"charged_items_count": 10_000}, (("AO", ""), ("AA", ""), ("AE", "")), "4 digits"),
    ("64", {"language": "ko"}, (("AO", ""), ("AA", ""), ("AE", "")), "3 characters"),
    ("64", {"fines": 3}, (("AO", ""), ("AA", ""), ("AE", "")), "no fixed field"),
    ("64", {}, (("AO", ""), ("AA", ""), ("ZZ", ""), ("AE", "")), "no field"),
    ("64", {}, (("AO", ""), ("AA", "")), "needs AE"),
    ("12", {}, (("AO", ""), ("AA", ""), ("AB", "")), "needs AJ, AH"),
    ("09", {"return_date": None}, (("AP", ""), ("AO", ""), ("AB", ""), ("AC", "")), "return_date: a date"),
])
def test_build_refuses_what_sip_2_00_would_not_accept(command, fixed, fields, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        Frame.build(command, fields, **{"transaction_date": STAMP, **fixed})


def test_decoding_is_lenient_but_says_what_a_sender_left_out() -> None:
    frame = Dialect(checksums=False).decode(b"121NNY" + STAMP.encode() + b"AO0042|AB3004|AJTitle|\r")
    assert frame.missing_required() == ("AA", "AH")
    complete = Frame.build("12", (("AO", ""), ("AA", ""), ("AB", ""), ("AJ", ""), ("AH", "")), transaction_date=STAMP)
    assert complete.missing_required() == ()


def test_bx_says_which_messages_an_acs_supports() -> None:
    status = Frame("98", "", (("BX", "YYYN"),))
    assert status.supports("23") and status.supports("09") and status.supports("01") is False
    assert status.supports("65") is None


@pytest.mark.parametrize("text, count, amount", [
    ("0005", 5, Decimal(5)), ("12.50", None, Decimal("12.50")), ("-3.00", None, Decimal("-3.00")),
    ("1e999", None, None), ("99999999999999999999", None, None), ("-", None, None), ("NaN", None, None),
    ("inf", None, None), ("٣", None, None), ("²", None, None), ("", None, None), ("1,000", None, None),
])
def test_numbers_read_as_none_rather_than_raise(text, count, amount) -> None:
    assert read_int(text) == count and read_amount(text) == amount


@pytest.mark.parametrize("text", ["00010101    000000", "99991231    235959", "20261121    ٢٣٠٠٠٠",
                                  "00000000    000000", "2026-02-30", " " * 18])
def test_odd_dates_are_none(text) -> None:
    assert Dialect().parse_date(text) is None


def _ends(widths: list[int]) -> set[int]:
    return {sum(widths[:n]) for n in range(1, len(widths) + 1)}


@pytest.mark.parametrize("command", sorted(MESSAGES))
def test_the_table_agrees_with_pysip2s_own(command) -> None:
    """Another reading of SIP 2.00 (pysip2's models): the same messages, fixed-field boundaries
    (ours also split the patron status and the summary into their flags), required, optional and
    repeatable fields."""
    theirs, ours = MESSAGE_SPECS_BY_ID[command], MESSAGES[command]
    assert set(MESSAGE_SPECS_BY_ID) == set(MESSAGES)
    assert _ends([f.width for f in theirs.fields if f.field_id is None]) <= _ends([f.width for f in ours.fixed])
    assert sum(f.width for f in theirs.fields if f.field_id is None) == ours.width
    variable = [f for f in theirs.fields if f.field_id is not None]
    assert {f.field_id for f in variable if f.required} == set(ours.required)
    assert {f.field_id for f in variable if not f.required} == set(ours.optional)
    assert {f.field_id for f in variable if f.repeatable} == REPEATABLE & set(ours.variable)
