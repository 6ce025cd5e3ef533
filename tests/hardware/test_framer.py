"""The line framer: cutting at the terminator, across any chunking, with a bounded buffer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.framing import TERMINATORS, Frame, LineFramer

MAX_LINE = 32


def feed_in_chunks(framer: LineFramer, data: bytes, cuts: list[int]) -> list[Frame]:
    frames: list[Frame] = []
    edges = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    for start, end in zip(edges, edges[1:], strict=False):
        frames += framer.feed(data[start:end])
        assert framer.buffered <= MAX_LINE
    return frames


@pytest.mark.parametrize("terminator", list(TERMINATORS))
def test_lines_are_cut_at_the_configured_terminator(terminator: str) -> None:
    term = TERMINATORS[terminator]
    framer = LineFramer(terminator, MAX_LINE)
    assert framer.feed(b"abc" + term + b"de") == [Frame(b"abc")]
    assert framer.feed(b"f" + term + term) == [Frame(b"def"), Frame(b"")]
    assert framer.flush() is None


def test_crlf_split_across_reads_is_one_terminator() -> None:
    framer = LineFramer("CRLF", MAX_LINE)
    assert framer.feed(b"abc\r") == []
    assert framer.feed(b"\nxyz\r\n") == [Frame(b"abc"), Frame(b"xyz")]


def test_a_ten_kilobyte_line_is_one_overlong_frame_and_memory_stays_bounded() -> None:
    framer = LineFramer("CR", MAX_LINE)
    frames = [f for _ in range(10) for f in framer.feed(b"7" * 1024)]
    assert frames == [] and framer.buffered <= MAX_LINE
    frames = framer.feed(b"7\rnext\r")
    assert frames == [Frame(b"7" * MAX_LINE, overlong=True), Frame(b"next")]


def test_an_overlong_line_inside_one_read_is_cut_to_its_head() -> None:
    framer = LineFramer("LF", MAX_LINE)
    assert framer.feed(b"x" * 100 + b"\nok\n") == [Frame(b"x" * MAX_LINE, True), Frame(b"ok")]


def test_flush_hands_back_the_unfinished_line_once() -> None:
    framer = LineFramer("CR", MAX_LINE)
    framer.feed(b"300420")
    assert framer.flush() == Frame(b"300420")
    assert framer.flush() is None
    framer.feed(b"y" * 100)
    assert framer.flush() == Frame(b"y" * MAX_LINE, overlong=True)


def test_max_line_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LineFramer("CR", 0)


short_lines = st.lists(st.binary(max_size=MAX_LINE).map(lambda b: b.replace(b"\r", b"")), max_size=30)


@settings(deadline=None)  # speed is measured in bench/, not here
@given(short_lines, st.lists(st.integers(0, 10_000), max_size=20))
def test_any_chunking_yields_the_same_lines(lines: list[bytes], cuts: list[int]) -> None:
    data = b"".join(line + b"\r" for line in lines)
    assert feed_in_chunks(LineFramer("CR", MAX_LINE), data, cuts) == [Frame(line) for line in lines]


@settings(deadline=None)  # speed is measured in bench/, not here
@given(st.binary(max_size=2000), st.lists(st.integers(0, 10_000), max_size=20),
       st.sampled_from(list(TERMINATORS)))
def test_any_byte_stream_keeps_the_buffer_bounded_and_loses_no_line(
        data: bytes, cuts: list[int], terminator: str) -> None:
    framer = LineFramer(terminator, MAX_LINE)
    frames = feed_in_chunks(framer, data, cuts)
    expected = data.split(TERMINATORS[terminator])[:-1]
    assert len(frames) == len(expected)
    for frame, line in zip(frames, expected, strict=True):
        assert frame == Frame(line[:MAX_LINE], overlong=len(line) > MAX_LINE)
