"""Whatever an ACS sends, decoding raises nothing but WireError and reading a field raises nothing.

Hypothesis writes frames of every command in the message table with arbitrary fixed parts and
variable fields (known and unknown ids; numbers of any size, ``1e999``, ``NaN``, other scripts'
digits, dates of any year), with and without a valid checksum, in UTF-8 and a legacy code page,
plus bytes that are no frame at all; every reader of :class:`Frame` and ``parse_date`` is then
called on every field.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_agent.wire.sip2 import MAX_DIGITS, Dialect, Frame, WireError, checksum
from sync_agent.wire.sip2_messages import DATE, FIELD_NAMES, MESSAGES, SUPPORTED_MESSAGES

DIALECTS = st.sampled_from([Dialect(), Dialect(checksums=False), Dialect(encoding="cp949", terminator=b"\r\n")])
YEARS = st.one_of(st.sampled_from([1, 1899, 1900, 9998, 9999]), st.integers(1, 9999))
"""Any year a SIP date can write, its ends often (where a zone or a loan period overflows)."""
NUMBERS = st.one_of(
    st.integers().map(str), st.floats().map(str), st.decimals().map(str),
    st.sampled_from(["1e999", "-1e999", "NaN", "inf", "-", "٣٤", "²", "１２", "0x1F", "1_000", " 7 "]),
    st.integers(min_value=0, max_value=10**40).map(lambda n: f"{n:018d}"),
    st.builds("{:04d}{:02d}{:02d}    {:02d}0000".format, YEARS, st.integers(1, 12), st.integers(1, 31),
              st.integers(0, 23)),
    st.builds("{:04d}-{:02d}-{:02d}".format, YEARS, st.integers(1, 12), st.integers(1, 31)),
)
VALUES = st.one_of(NUMBERS, st.text(max_size=40))
IDS = st.one_of(st.sampled_from(sorted(FIELD_NAMES)), st.text(min_size=2, max_size=2))
TIGHT = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def frames(draw: st.DrawFn) -> tuple[Dialect, bytes]:
    """Bytes shaped like a message of the table, every field arbitrary: text (numbers, dates,
    anything) in the dialect's encoding, or raw bytes."""
    dialect = draw(DIALECTS)
    message = MESSAGES[draw(st.sampled_from(sorted(MESSAGES)))]

    def written(text: str) -> bytes:
        return text.encode(dialect.encoding, errors="replace")

    fixed = b"".join(draw(st.one_of(
        st.one_of(NUMBERS, st.text(max_size=field.width)).map(lambda text, w=field.width: written(text[:w].ljust(w))),
        st.binary(min_size=field.width, max_size=field.width))) for field in message.fixed)
    pairs = draw(st.lists(st.tuples(st.one_of(st.sampled_from(message.variable or ("AF",)), IDS).map(written),
                                    st.one_of(VALUES.map(written), st.binary(max_size=40))), max_size=12))
    body = written(message.command) + fixed + b"".join(fid + value + b"|" for fid, value in pairs)
    if draw(st.booleans()):
        body += f"AY{draw(st.integers(0, 9))}AZ".encode()
        body += checksum(body).encode()
    return dialect, body + dialect.terminator


def read_everything(frame: Frame, dialect: Dialect) -> None:
    message = MESSAGES[frame.command]
    for field in message.fixed:
        frame.fixed_field(field.name)
        frame.yes(field.name)
        count = frame.count(field.name)
        assert count is None or 0 <= count < 10**MAX_DIGITS
        if field.kind == DATE:
            dialect.parse_date(frame.fixed_field(field.name))
    frame.patron_status()
    frame.missing_required()
    for command in SUPPORTED_MESSAGES:
        frame.supports(command)
    for fid in {fid for fid, _ in frame.fields} | set(FIELD_NAMES):
        number = frame.integer(fid)
        assert number is None or 0 <= number < 10**MAX_DIGITS
        amount = frame.amount(fid)
        assert amount is None or (amount.is_finite() and abs(amount) < Decimal(10) ** MAX_DIGITS)
        when = dialect.parse_date(frame.get(fid))
        if when is not None:
            when.astimezone(UTC) + timedelta(days=365)  # usable: no overflow in arithmetic
        frame.all(fid)


def decoded(dialect: Dialect, raw: bytes) -> Frame | None:
    try:
        return dialect.decode(raw)
    except WireError:
        return None


@TIGHT
@given(frames())
def test_any_frame_of_the_table_decodes_or_is_a_wire_error_and_reads_without_raising(case) -> None:
    dialect, raw = case
    frame = decoded(dialect, raw)
    if frame is not None:
        read_everything(frame, dialect)


@TIGHT
@given(DIALECTS, st.binary(max_size=300))
def test_bytes_that_are_no_frame_are_wire_errors(dialect, raw) -> None:
    frame = decoded(dialect, raw)
    if frame is not None:
        read_everything(frame, dialect)


def test_the_strategy_reaches_the_readers() -> None:
    """The property above is not vacuous: a frame it can draw decodes and carries odd numbers."""
    dialect = Dialect()
    raw = dialect.encode(Frame("64", "Y" * 14 + "000" + "9" * 18 + "1e99" + "    " + "٣٣٣٣" + "0" * 12,
                               (("CB", "9" * 40), ("BV", "NaN"), ("AH", "99999999    999999"))), 1)
    frame = dialect.decode(raw)
    read_everything(frame, dialect)
    assert frame.integer("CB") is None and frame.amount() is None and frame.count("hold_items_count") is None


@TIGHT
@given(st.one_of(NUMBERS, st.text(max_size=24)), DIALECTS)
def test_any_date_text_reads_as_a_usable_date_or_none(text, dialect) -> None:
    when = dialect.parse_date(text)
    if when is not None:
        when.astimezone(UTC) + timedelta(days=365)
