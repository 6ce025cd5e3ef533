"""The simulator: the virtual scanner, ``kiosk-sim pty`` and ``kiosk-sim scan`` end to end."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hardware.sim import VirtualScanner, encode_scan, main
from hardware.status import DeviceState
from kiosk_data.codes import HOLD_READY, HOLD_READY_ISBN, KIM, PARK

ITEM, CARD, ISBN = HOLD_READY, KIM, HOLD_READY_ISBN
KIOSK_SIM = Path(sys.executable).with_name("kiosk-sim")


@pytest.mark.parametrize(("options", "expected"), [
    ({}, b"30042000000014\r"),
    ({"terminator": "CRLF", "prefix": "\x02", "suffix": "\x03"}, b"\x0230042000000014\x03\r\n"),
    ({"terminator": "LF", "aim": True}, b"]F030042000000014\n"),
])
def test_encode_scan_frames_like_a_scanner(options: dict, expected: bytes) -> None:
    assert encode_scan(ITEM, **options) == expected


def test_aim_identifier_follows_the_symbol_printed_on_the_label() -> None:
    assert encode_scan(ISBN, aim=True) == b"]E09788936433598\r"
    assert encode_scan("ABC-1", aim=True) == b"]C0ABC-1\r"


def test_virtual_scanner_unplugs_and_replugs_at_the_same_path(tmp_path: Path) -> None:
    link = tmp_path / "scanner"
    with VirtualScanner(link=link) as scanner:
        device_side = os.open(scanner.path, os.O_RDONLY | os.O_NOCTTY)
        scanner.scan(ITEM)
        assert os.read(device_side, 100) == ITEM.encode() + b"\r"
        scanner.unplug()
        assert not link.exists()
        with pytest.raises(OSError):
            scanner.scan(ITEM)
        try:  # the reader's end is dead: end of file or EIO
            assert os.read(device_side, 100) == b""
        except OSError as exc:
            assert exc.errno == errno.EIO
        os.close(device_side)
        scanner.replug()
        assert link.is_symlink() and link.exists()
    assert not link.exists()


def test_own_temporary_folder_is_removed_on_close() -> None:
    with VirtualScanner() as scanner:
        folder = Path(scanner.path).parent
        assert folder.is_dir()
    assert not folder.exists()


def test_pty_forwards_stdin_and_the_feed_port_to_the_driver(tmp_path, run_device, wait) -> None:
    device_link, feed_link = tmp_path / "scanner", tmp_path / "feed"
    sim = subprocess.Popen([str(KIOSK_SIM), "pty", "--link", str(device_link),
                            "--feed-link", str(feed_link)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert f"scanner device: {device_link}" in sim.stdout.readline()
        assert str(feed_link) in sim.stdout.readline()
        device, seen = run_device(str(device_link), aim_ids=True)
        sim.stdin.write(f"{ITEM}\n\n")
        sim.stdin.flush()
        wait(lambda: seen.codes == [ITEM])
        scan = subprocess.run([str(KIOSK_SIM), "scan", "--port", str(feed_link), "--aim",
                               CARD, ISBN, "30042000000015"], capture_output=True, timeout=30)
        assert scan.returncode == 0, scan.stderr
        wait(lambda: len(seen.codes) == 3 and device.status.rejected == 1)
        assert [(e.code, e.symbology) for e in seen.scans] == [
            (ITEM, None), (CARD, "codabar"), (ISBN, "ean13")]
        sim.stdin.close()  # stdin closed: the feed port keeps working
        assert subprocess.run([str(KIOSK_SIM), "scan", "--port", str(feed_link), PARK],
                              timeout=30).returncode == 0
        wait(lambda: seen.codes[-1:] == [PARK])
    finally:
        sim.send_signal(signal.SIGTERM)
        assert sim.wait(timeout=10) == 0
    wait(lambda: device.status.state is DeviceState.RECONNECTING)
    assert not device_link.exists() and not feed_link.exists()


def test_watch_prints_what_the_driver_makes_of_typed_scans(tmp_path) -> None:
    device_link = tmp_path / "scanner"
    sim = subprocess.Popen([str(KIOSK_SIM), "pty", "--link", str(device_link)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        sim.stdout.readline()
        watch = subprocess.Popen([str(KIOSK_SIM), "watch", "--port", str(device_link), "--count", "2"],
                                 stdout=subprocess.PIPE, text=True)
        assert watch.stdout.readline() == "status connected\n"
        sim.stdin.write(f"30042000000015\n안녕\n{ITEM}\n{ITEM}\n{ISBN}")
        sim.stdin.close()  # the last line has no newline: end of input finishes it
        output, _ = watch.communicate(timeout=30)
    finally:
        sim.send_signal(signal.SIGINT)
        try:
            sim.wait(timeout=10)
        finally:
            if sim.poll() is None:  # it did not stop: the test fails, and leaves no process behind
                sim.kill()
                sim.wait()
    assert output.splitlines() == [
        "rejected (wrong check digit): 30042000000015",
        f"scan item {ITEM} symbology=None",
        f"scan isbn {ISBN} symbology=None",
        "status stopped",
        "good 2, rejected 2 {'wrong check digit': 1, 'not text': 1}, duplicates 1",
    ]


def test_pty_stops_on_ctrl_c_even_when_started_with_sigint_ignored(tmp_path) -> None:
    """A shell starts a background command with SIGINT ignored; the simulator says "Ctrl-C to
    stop", and must stop on it, cleaning up its links."""
    link = tmp_path / "scanner"
    sim = subprocess.Popen([str(KIOSK_SIM), "pty", "--link", str(link)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert sim.stdout.readline().startswith("scanner device:")
        sim.send_signal(signal.SIGINT)
        assert sim.wait(timeout=10) == 0
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
    assert not link.exists()


def test_pty_cleans_up_when_its_terminal_is_closed(tmp_path) -> None:
    """Closing the terminal (tmux kill-session, an ssh that drops) sends SIGHUP: the simulator
    removes its device link, its feed link and its temporary folder, as on Ctrl-C."""
    link, feed, temp = tmp_path / "scanner", tmp_path / "feed", tmp_path / "tmp"
    temp.mkdir()
    sim = subprocess.Popen([str(KIOSK_SIM), "pty", "--link", str(link), "--feed-link", str(feed)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                           env=dict(os.environ, TMPDIR=str(temp)))
    try:
        assert sim.stdout.readline().startswith("scanner device:")
        assert link.exists() and feed.exists() and list(temp.iterdir())
        sim.send_signal(signal.SIGHUP)
        assert sim.wait(timeout=10) == 0
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
    assert not link.exists() and not feed.exists() and list(temp.iterdir()) == []


def test_scan_to_a_missing_port_fails_with_a_message(tmp_path, capsys) -> None:
    assert main(["scan", "--port", str(tmp_path / "nothing"), ITEM]) == 1
    assert "could not open port" in capsys.readouterr().err


def test_scans_typed_into_kiosk_sim_pty_reach_the_readme_example_consumer(tmp_path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "hardware" / "README.md").read_text("utf-8")
    example = readme.split("## Example consumer", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    device_link = tmp_path / "scanner"
    example = example.replace("/tmp/kiosk-sim-k2x9/scanner", str(device_link))
    sim = subprocess.Popen([str(KIOSK_SIM), "pty", "--link", str(device_link)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sim.stdout.readline()
    consumer = subprocess.Popen([sys.executable, "-u", "-c", example], stdout=subprocess.PIPE,
                                text=True, cwd=Path(__file__).resolve().parents[2])
    watchdog = threading.Timer(30, consumer.kill)  # a hung example ends the read loop below
    watchdog.start()
    lines: list[str] = []
    try:
        assert consumer.stdout.readline() == "status connected  good=0 rejected=0\n"
        sim.stdin.write(f"30042000000015\n{ITEM}\n")
        sim.stdin.flush()
        while (line := consumer.stdout.readline()) and line != f"scan item {ITEM}\n":
            lines.append(line)
    finally:
        watchdog.cancel()
        consumer.kill()
        consumer.wait(timeout=10)
        sim.terminate()
        sim.wait(timeout=10)
    assert line == f"scan item {ITEM}\n"
    assert lines[0] == "rejected wrong check digit 30042000000015\n"
