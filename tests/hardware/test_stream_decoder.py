"""From a device's bytes to scans and counted rejections, without a port."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from hardware.codes import CodeKind, RejectReason, classify
from hardware.config import DeviceConfig, card_reader
from hardware.decoder import StreamDecoder, strip_track_sentinels
from hardware.events import Rejection, ScanEvent
from hardware.screening import DuplicateFilter
from kiosk_data.codes import HOLD_READY, HOLD_READY_ISBN, KIM

ITEM, CARD, ISBN = HOLD_READY, KIM, HOLD_READY_ISBN


def decoder(**options) -> StreamDecoder:
    return StreamDecoder(DeviceConfig("scanner", "/dev/null", **options))


def scans(out: list) -> list[str]:
    return [event.code for event in out if isinstance(event, ScanEvent)]


def test_a_scan_carries_kind_device_and_time() -> None:
    out = decoder().feed(f"{ITEM}\r{CARD}\r{ISBN}\r".encode(), at=12.5)
    assert out == [ScanEvent(ITEM, CodeKind.ITEM, None, "scanner", 12.5),
                   ScanEvent(CARD, CodeKind.MEMBER_CARD, None, "scanner", 12.5),
                   ScanEvent(ISBN, CodeKind.ISBN, None, "scanner", 12.5)]


def test_prefix_and_suffix_are_removed() -> None:
    out = decoder(prefix="\x02", suffix="\x03", terminator="CRLF").feed(f"\x02{ITEM}\x03\r\n".encode(), 0)
    assert scans(out) == [ITEM]


def test_aim_identifiers_give_the_symbology_and_are_removed() -> None:
    out = decoder(aim_ids=True).feed(f"]F0{ITEM}\r]E0{ISBN}\r]Z9{CARD}\r{ITEM[:-1]}4\r".encode(), 0)
    assert [(e.code, e.symbology) for e in out if isinstance(e, ScanEvent)] == [
        (ITEM, "codabar"), (ISBN, "ean13"), (CARD, "]Z9")]


def test_without_aim_enabled_an_identifier_is_not_a_library_code() -> None:
    (rejection,) = decoder().feed(f"]F0{ITEM}\r".encode(), 0)
    assert isinstance(rejection, Rejection) and rejection.reason is RejectReason.NOT_LIBRARY_CODE


def test_card_reader_strips_track_sentinels() -> None:
    reader = StreamDecoder(card_reader("cards", "/dev/null"))
    out = reader.feed(f";{CARD}?\r;{CARD[:-1]}4=2512?\r%B{CARD}^KIM/MINJI^2512?\r".encode(), 0)
    assert [e.code for e in out if isinstance(e, ScanEvent)] == [CARD]  # then duplicates
    assert reader.screener.tally.duplicates == 1
    assert reader.screener.tally.by_reason == {RejectReason.WRONG_CHECK_DIGIT: 1}
    assert strip_track_sentinels("no sentinels") == "no sentinels"
    both_tracks = f"%B{CARD}^KIM/MINJI^2512?;{CARD}=2512?"
    assert strip_track_sentinels(both_tracks) == CARD


def test_rejections_are_counted_and_only_plausible_ones_flagged() -> None:
    dec = decoder(max_line=64)
    out = dec.feed(b"30042000000015\r\xff\xfe\x00\r" + b"9" * 10_240 + b"\rab\x07c\r12\r", 0)
    assert all(isinstance(item, Rejection) for item in out)
    assert [(r.reason, r.plausible) for r in out] == [
        (RejectReason.WRONG_CHECK_DIGIT, True), (RejectReason.NOT_TEXT, False),
        (RejectReason.LINE_TOO_LONG, False), (RejectReason.NOT_TEXT, False),
        (RejectReason.TOO_SHORT, False)]
    assert dec.screener.tally.rejected == 5 and dec.screener.tally.good == 0
    assert all(len(r.text) <= 40 and r.text.isprintable() for r in out)


def test_blank_lines_are_not_reads() -> None:
    dec = decoder()
    assert dec.feed(b"\r\r  \r\n\r", 0) == []
    assert dec.screener.tally.rejected == 0


def test_a_line_cut_off_by_a_disconnect_is_counted_not_emitted() -> None:
    dec = decoder()
    assert dec.feed(ITEM[:9].encode(), 0) == []
    rejection = dec.flush(1.0)
    assert rejection is not None and rejection.reason is RejectReason.INCOMPLETE_LINE
    assert dec.flush(2.0) is None and dec.buffered == 0


def test_same_code_within_window_is_one_scan_but_different_codes_never_merge() -> None:
    dec = decoder(duplicate_window_s=1.5)
    assert scans(dec.feed(f"{ITEM}\r{ITEM}\r{CARD}\r{ITEM}\r".encode(), 0.0)) == [ITEM, CARD]
    assert scans(dec.feed(f"{ITEM}\r".encode(), 1.4)) == []      # still re-triggering
    assert scans(dec.feed(f"{ITEM}\r".encode(), 3.0)) == [ITEM]   # quiet for 1.6 s: a new scan
    assert dec.screener.tally.duplicates == 3


def valid_code(sequence: int) -> str:
    body = f"30042{sequence:08d}"
    return body + luhn.calc_check_digit(body)


noise = st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"") + b"\x80")


@settings(deadline=None)  # speed is measured in bench/, not here
@given(st.lists(st.one_of(st.integers(0, 10**8 - 1).map(valid_code), noise), max_size=40),
       st.lists(st.integers(1, 400), max_size=10))
def test_valid_scans_survive_noise_and_noise_is_never_a_scan(segments: list, chunks: list[int]) -> None:
    data = b"".join((s.encode() if isinstance(s, str) else s) + b"\r" for s in segments)
    dec = decoder(duplicate_window_s=0.0)
    out, position = [], 0
    for size in chunks + [len(data)]:
        out += dec.feed(data[position:position + size], 0)
        position += size
    planted = [s for s in segments if isinstance(s, str)]
    assert scans(out) == planted  # a zero window suppresses nothing
    assert dec.screener.tally.rejected == len(segments) - len(planted)


@settings(deadline=None)  # speed is measured in bench/, not here
@given(st.binary(max_size=3000), st.sampled_from(["CR", "LF", "CRLF"]), st.booleans(), st.booleans())
def test_any_byte_stream_yields_valid_scans_or_counted_rejections(
        data: bytes, terminator: str, aim: bool, sentinels: bool) -> None:
    dec = decoder(terminator=terminator, aim_ids=aim, strip_sentinels=sentinels, max_line=64)
    out = dec.feed(data, 0)
    tail = dec.flush(0)
    out += [tail] if tail else []
    for item in out:
        if isinstance(item, ScanEvent):
            assert classify(item.code).valid and item.kind is classify(item.code).kind
        else:
            assert item.reason in RejectReason and len(item.text) <= 40
    tally = dec.screener.tally
    assert tally.good == len(scans(out))
    assert tally.rejected == sum(isinstance(item, Rejection) for item in out)
    assert dec.buffered == 0


def test_duplicate_memory_is_bounded() -> None:
    window = DuplicateFilter(window_s=60.0, capacity=100)
    assert not any(window.is_repeat(valid_code(n), at=0.0) for n in range(1000))
    assert window.is_repeat(valid_code(999), at=1.0)       # recent codes are remembered
    assert not window.is_repeat(valid_code(0), at=1.0)     # the oldest were let go
    assert len(window) <= 100
