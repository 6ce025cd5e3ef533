"""The SIP2 wire contract: checksums, trailers, terminators, encodings and dates."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from sync_agent.sip2_wire import ChecksumError, Dialect, Frame, WireError, checksum


def test_checksum_makes_the_16_bit_sum_zero() -> None:
    message = b"9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZ"
    value = checksum(message)
    assert len(value) == 4 and value == value.upper()
    assert (sum(message) + int(value, 16)) & 0xFFFF == 0


def test_a_frame_survives_the_round_trip_with_hangul_and_trailer() -> None:
    dialect = Dialect()
    frame = Frame("18", "0400" + "01" + "20261121    143000", (("AB", "30042000000030"), ("AJ", "소년이 온다")))
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
    when = datetime(2026, 11, 21, 5, 30, tzinfo=timezone.utc)
    assert dialect.date(when) == "20261121    143000"
    assert dialect.parse_date("20261121    143000") == when
    assert dialect.parse_date("20261121   Z053000") == when
    assert dialect.parse_date("2026-11-21") == datetime(2026, 11, 21, tzinfo=ZoneInfo("Asia/Seoul"))
    assert dialect.parse_date("soon") is None
