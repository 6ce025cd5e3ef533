"""Keyboard-wedge decoding: a fast burst ending in Enter is a scan, a person typing is not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.codes import CodeKind, RejectReason
from hardware.events import Rejection, ScanEvent
from hardware.wedge import TypedText, WedgeDecoder
from kiosk_data.codes import HOLD_READY, KIM

ITEM, CARD = HOLD_READY, KIM


def type_keys(decoder: WedgeDecoder, text: str, start: float, gap: float, enter: str = "enter"):
    results = [decoder.feed(key, start + i * gap) for i, key in enumerate(text)]
    assert results == [None] * len(text)
    return decoder.feed(enter, start + len(text) * gap)


def test_a_fast_burst_is_a_scan() -> None:
    result = type_keys(WedgeDecoder(), ITEM, start=10.0, gap=0.008)
    assert isinstance(result, ScanEvent)
    assert (result.code, result.kind, result.device, result.symbology) == (ITEM, CodeKind.ITEM, "keyboard", None)


def test_typing_at_human_speed_is_typed_text() -> None:
    assert type_keys(WedgeDecoder(), ITEM, start=0.0, gap=0.15) == TypedText(ITEM)


def test_one_pause_in_the_middle_makes_it_typing() -> None:
    decoder = WedgeDecoder()
    for i, key in enumerate(CARD):
        decoder.feed(key, i * 0.01 + (0.5 if i >= 7 else 0))
    assert decoder.feed("\r", 14 * 0.01 + 0.5) == TypedText(CARD)


def test_a_late_enter_makes_it_typing() -> None:
    decoder = WedgeDecoder()
    for i, key in enumerate(CARD):
        decoder.feed(key, i * 0.01)
    assert decoder.feed("enter", 2.0) == TypedText(CARD)


def test_a_fast_burst_with_a_wrong_check_digit_is_rejected_like_a_serial_scan() -> None:
    decoder = WedgeDecoder()
    result = type_keys(decoder, "30042000000015", start=0.0, gap=0.005)
    assert isinstance(result, Rejection) and result.reason is RejectReason.WRONG_CHECK_DIGIT
    assert result.plausible and decoder.screener.tally.rejected == 1


def test_short_bursts_are_not_scans_and_other_keys_are_ignored() -> None:
    decoder = WedgeDecoder()
    assert type_keys(decoder, "ok", start=0.0, gap=0.001) == TypedText("ok")
    assert decoder.feed("shift", 1.0) is None and decoder.feed("enter", 1.0) is None
    assert decoder.pending == ""


def test_a_retrigger_within_the_window_is_one_scan() -> None:
    decoder = WedgeDecoder(duplicate_window_s=1.5)
    assert isinstance(type_keys(decoder, ITEM, 0.0, 0.005), ScanEvent)
    assert type_keys(decoder, ITEM, 0.5, 0.005) is None
    assert isinstance(type_keys(decoder, CARD, 0.7, 0.005), ScanEvent)
    assert decoder.screener.tally.duplicates == 1


def test_held_down_key_cannot_grow_memory() -> None:
    decoder = WedgeDecoder(max_length=64)
    for i in range(10_000):
        decoder.feed("9", i * 0.001)
    assert len(decoder.pending) == 64
    assert decoder.feed("enter", 10.0) == TypedText("9" * 64)


@settings(deadline=None)  # speed is measured in bench/, not here
@given(st.lists(st.tuples(st.sampled_from(["1", "3", "0", "a", "enter", "\n", "shift", "€"]),
                          st.floats(0, 0.3)), max_size=80))
def test_any_key_sequence_yields_only_valid_scans(keys: list[tuple[str, float]]) -> None:
    decoder, now = WedgeDecoder(), 0.0
    for key, gap in keys:
        now += gap
        result = decoder.feed(key, now)
        assert result is None or isinstance(result, (ScanEvent, Rejection, TypedText))
        if isinstance(result, ScanEvent):
            assert result.kind is not CodeKind.INVALID
