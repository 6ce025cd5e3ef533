"""The serial driver through real pseudo-terminals and pyserial: framing, resilience, bad input."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import serial
from stdnum import luhn

from hardware.codes import CodeKind, RejectReason
from hardware.serial_reader import DeviceConfig, SerialDevice
from hardware.sim import VirtualScanner
from hardware.status import DeviceState
from kiosk_data.codes import HOLD_READY, HOLD_READY_ISBN, KIM

ITEM, CARD, ISBN = HOLD_READY, KIM, HOLD_READY_ISBN


def item_code(sequence: int) -> str:
    body = f"30042{sequence:08d}"
    return body + luhn.calc_check_digit(body)


@pytest.mark.parametrize(("terminator", "prefix", "suffix"), [
    ("CR", "", ""), ("LF", "", ""), ("CRLF", "", ""), ("CR", "\x02", "\x03"), ("LF", "#", "!")])
def test_framing_variants_arrive_as_events(run_device, wait, terminator, prefix, suffix) -> None:
    with VirtualScanner(terminator=terminator, prefix=prefix, suffix=suffix) as scanner:
        _, seen = run_device(scanner.path, terminator=terminator, prefix=prefix, suffix=suffix)
        for code in (ITEM, CARD, ISBN):
            scanner.scan(code)
        wait(lambda: len(seen.scans) == 3)
    assert [(e.code, e.kind, e.device) for e in seen.scans] == [
        (ITEM, CodeKind.ITEM, "scanner"), (CARD, CodeKind.MEMBER_CARD, "scanner"),
        (ISBN, CodeKind.ISBN, "scanner")]
    assert seen.scans[0].at <= seen.scans[-1].at <= time.monotonic()


def test_aim_identifiers_are_reported_as_symbology(run_device, wait) -> None:
    with VirtualScanner(aim=True) as scanner:
        _, seen = run_device(scanner.path, aim_ids=True)
        scanner.scan(ITEM)
        scanner.scan(ISBN)
        wait(lambda: len(seen.scans) == 2)
    assert [e.symbology for e in seen.scans] == ["codabar", "ean13"]


def test_card_reader_is_the_same_driver_with_sentinels_stripped(run_device, scanner, wait) -> None:
    _, seen = run_device(scanner.path, name="cards", strip_sentinels=True)
    scanner.write_raw(f";{CARD}?\r".encode())
    wait(lambda: len(seen.scans) == 1)
    assert seen.scans[0].code == CARD and seen.scans[0].device == "cards"


def test_duplicate_retrigger_is_one_scan(run_device, scanner, wait) -> None:
    device, seen = run_device(scanner.path, duplicate_window_s=1.5)
    for code in (ITEM, ITEM, ITEM, CARD, ITEM):
        scanner.scan(code)
    wait(lambda: device.status.duplicates == 3)
    assert seen.codes == [ITEM, CARD]


def test_noise_and_wrong_codes_are_counted_and_only_plausible_ones_reported(run_device, scanner, wait) -> None:
    device, seen = run_device(scanner.path)
    scanner.write_raw(os.urandom(200).replace(b"\r", b"") + b"\x80\r")  # binary noise
    scanner.write_raw("안녕하세요\r".encode())                            # non-ASCII
    scanner.write_raw(b"1" * 10_240 + b"\r")                              # 10 KB line
    scanner.scan("30042000000015")                                        # wrong check digit
    scanner.scan(ITEM[:-1])                                               # truncated
    scanner.write_raw(ITEM[:6].encode())                                  # partial line, then ...
    scanner.scan(CARD)                                                    # ... a valid card glued on
    scanner.scan(ITEM)
    wait(lambda: seen.codes == [ITEM])
    status = device.status
    assert status.rejected_by_reason == {"not text": 2, "line too long": 1, "wrong check digit": 1,
                                         "too short": 1, "too long": 1}
    assert status.rejected == 6 and status.good == 1 and status.state is DeviceState.CONNECTED
    assert [(r.reason, r.text) for r in seen.rejections] == [
        (RejectReason.WRONG_CHECK_DIGIT, "30042000000015"),
        (RejectReason.TOO_SHORT, ITEM[:-1]),
        (RejectReason.TOO_LONG, ITEM[:6] + CARD)]


def test_a_burst_of_hundreds_of_scans_loses_nothing(run_device, scanner, wait) -> None:
    device, seen = run_device(scanner.path)
    codes = [item_code(n) for n in range(600)]
    scanner.write_raw(b"".join(code.encode() + b"\r" for code in codes))
    wait(lambda: len(seen.scans) == len(codes))
    assert seen.codes == codes and device.status.good == 600 and device.status.rejected == 0


def test_unplug_and_replug_reconnects_at_the_same_path(run_device, scanner, wait) -> None:
    device, seen = run_device(scanner.path)
    scanner.scan(ITEM)
    scanner.write_raw(CARD[:7].encode())  # unplugged mid-line
    wait(lambda: device.status.good == 1)
    # the line's first bytes read by the driver, not still in the pty (an unplug discards those)
    wait(lambda: device._decoder.buffered == 7)
    scanner.unplug()
    wait(lambda: device.status.state is DeviceState.RECONNECTING)
    assert not Path(scanner.path).exists()
    wait(lambda: device.status.reason == "port not found (unplugged?)")
    scanner.replug()
    wait(lambda: device.status.state is DeviceState.CONNECTED)
    scanner.scan(CARD)
    wait(lambda: len(seen.scans) == 2)
    assert seen.codes == [ITEM, CARD]
    assert device.status.rejected_by_reason == {"incomplete line": 1}
    states = [s.state for s in seen.statuses]
    assert states.index(DeviceState.RECONNECTING) < len(states) - states[::-1].index(DeviceState.CONNECTED)
    assert "device disconnected" in {s.reason for s in seen.statuses}


def test_a_port_absent_at_start_is_waited_for(run_device, tmp_path, wait) -> None:
    link = tmp_path / "scanner"
    device, seen = run_device(str(link), wait_connected=False)
    wait(lambda: device.status.state is DeviceState.RECONNECTING)
    assert device.status.reason == "port not found (unplugged?)"
    with VirtualScanner(link=link) as scanner:
        wait(lambda: device.status.state is DeviceState.CONNECTED)
        scanner.scan(ITEM)
        wait(lambda: seen.codes == [ITEM])


def test_a_file_that_is_not_a_serial_device_is_an_error(run_device, tmp_path, wait) -> None:
    not_a_tty = tmp_path / "scanner.txt"
    not_a_tty.write_text("")
    device, _ = run_device(str(not_a_tty), wait_connected=False)
    wait(lambda: device.status.state is DeviceState.ERROR)
    assert device.status.reason == "not a serial device"


def test_a_port_held_by_another_program_is_an_error(run_device, scanner, wait) -> None:
    with serial.Serial(scanner.path, exclusive=True):
        device, _ = run_device(scanner.path, wait_connected=False)
        wait(lambda: device.status.state is DeviceState.ERROR)
        assert device.status.reason == "port in use by another program"
    wait(lambda: device.status.state is DeviceState.CONNECTED)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_permission_denied_is_an_error_with_the_reason(scanner) -> None:
    """The driver runs in a child that has dropped to ``nobody``; the pty stays root-only."""
    os.chmod(Path(scanner.path).parent, 0o755)  # the folder of the link is open to all ...
    os.chmod(os.path.realpath(scanner.path), 0o600)  # ... the device itself is not
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        os.setgid(65534)
        os.setuid(65534)
        device = SerialDevice(DeviceConfig("scanner", scanner.path), print)
        device.start()
        deadline = time.monotonic() + 10
        while device.status.state != DeviceState.ERROR and time.monotonic() < deadline:
            time.sleep(0.01)
        os.write(write_end, f"{device.status.state}|{device.status.reason}".encode())
        device.stop()
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = pipe.read()
    os.waitpid(child, 0)
    assert report == "error|permission denied (is the kiosk user in the dialout group?)"


def test_a_raising_callback_does_not_kill_the_reader(scanner, wait) -> None:
    received: list[str] = []

    def fussy(event) -> None:
        received.append(event.code)
        raise RuntimeError("the app had a bad moment")

    with SerialDevice(DeviceConfig("scanner", scanner.path), fussy, on_status=fussy) as device:
        wait(lambda: device.status.state is DeviceState.CONNECTED)
        scanner.scan(ITEM)
        scanner.scan(CARD)
        wait(lambda: received.count(ITEM) == 1 and received.count(CARD) == 1)
        assert device.status.good == 2


def test_stop_joins_promptly_and_reports_stopped(scanner, wait) -> None:
    statuses = []
    device = SerialDevice(DeviceConfig("scanner", scanner.path), print, statuses.append)
    device.start()
    wait(lambda: device.status.state is DeviceState.CONNECTED)
    with pytest.raises(RuntimeError):
        device.start()
    device.stop()
    assert device.status.state is DeviceState.STOPPED
    assert statuses[-1].state is DeviceState.STOPPED
    assert not any(t.name == "serial-scanner" and t.is_alive() for t in __import__("threading").enumerate())


def test_config_rejects_bad_values() -> None:
    for bad in ({"terminator": "CRCR"}, {"institution": "42"}, {"max_line": 4},
                {"duplicate_window_s": -1}, {"prefix": "é"}, {"baud": 0}):
        with pytest.raises(ValueError):
            DeviceConfig("scanner", "/dev/null", **bad)


def test_a_fault_inside_the_decoder_is_reported_and_the_reader_carries_on(run_device, scanner, wait,
                                                                         monkeypatch) -> None:
    device, seen = run_device(scanner.path)
    decoder = device._decoder
    real_feed = decoder.feed

    def failing_once(data, at):
        monkeypatch.setattr(decoder, "feed", real_feed)
        raise RuntimeError("decoder bug")

    monkeypatch.setattr(decoder, "feed", failing_once)
    scanner.scan(ITEM)
    wait(lambda: any(s.state is DeviceState.ERROR for s in seen.statuses))
    assert "decoder bug" in next(s.reason for s in seen.statuses if s.state is DeviceState.ERROR)
    wait(lambda: device.status.state is DeviceState.CONNECTED)
    scanner.scan(CARD)
    wait(lambda: seen.codes == [CARD])


def test_stop_from_inside_a_callback_ends_the_reader(scanner, wait) -> None:
    holder: list[SerialDevice] = []
    device = SerialDevice(DeviceConfig("scanner", scanner.path), lambda event: holder[0].stop())
    holder.append(device)
    device.start()
    wait(lambda: device.status.state is DeviceState.CONNECTED)
    scanner.scan(ITEM)
    wait(lambda: device.status.state is DeviceState.STOPPED)
    device.stop()
    assert device.status.good == 1
