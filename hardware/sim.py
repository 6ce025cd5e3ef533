"""``kiosk-sim``: a virtual scanner on a pseudo-terminal, scans written to a port, a port watcher
(the driver printing what it makes of a port) and label sheets.

:class:`VirtualScanner` is the device end of a pty pair behind a stable symlink (``.path``), so a
driver configured with that path sees a real serial device that can be unplugged and plugged back
in at the same path, as a udev symlink behaves with real hardware.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import signal
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path
from typing import TypedDict

import serial

from hardware.aim import aim_identifier
from hardware.config import DeviceConfig
from hardware.events import Rejection, ScanEvent
from hardware.framing import TERMINATORS, Terminator
from hardware.labels import DEFAULT_DATA_DIR, write_sheet
from hardware.serial_reader import SerialDevice
from hardware.status import DeviceStatus


class Framing(TypedDict):
    """How a scanner frames each read: :func:`encode_scan`'s keyword arguments."""
    terminator: Terminator
    prefix: str
    suffix: str
    aim: bool


def encode_scan(code: str, terminator: Terminator = "CR", prefix: str = "", suffix: str = "",
                aim: bool = False) -> bytes:
    """The bytes a scanner sends for one read of ``code`` (UTF-8, so non-ASCII noise can be sent)."""
    identifier = aim_identifier(code) if aim else ""
    return f"{prefix}{identifier}{code}{suffix}".encode() + TERMINATORS[terminator]


class PtyPort:
    """One pty pair in raw mode with a symlink to its device side; we hold the other side."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None
        self._slave: int | None = None

    def open(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR->LF translation before a reader configures it
        if self.link.is_symlink():
            self.link.unlink()
        os.symlink(os.ttyname(self._slave), self.link)

    def close(self) -> None:
        """Close both sides: readers of the device side get an error, and the path vanishes."""
        for fd in (self.master, self._slave):
            if fd is not None:
                os.close(fd)
        self.master = self._slave = None
        self.link.unlink(missing_ok=True)

    def write(self, data: bytes) -> None:
        if self.master is None:
            raise OSError("the virtual device is unplugged")
        view = memoryview(data)
        while view:
            view = view[os.write(self.master, view):]


class VirtualScanner:
    """A scanner you can script: ``with VirtualScanner() as scanner: scanner.scan("3004...")``.

    ``link`` is where the device path appears (a fresh temporary folder by default).
    """

    def __init__(self, *, terminator: Terminator = "CR", prefix: str = "", suffix: str = "",
                 aim: bool = False, link: str | Path | None = None) -> None:
        self._own_dir: Path | None = None
        if link is None:
            self._own_dir = own_dir = Path(tempfile.mkdtemp(prefix="kiosk-sim-"))
            link = own_dir / "scanner"
        self._port = PtyPort(Path(link))
        self._framing: Framing = {"terminator": terminator, "prefix": prefix, "suffix": suffix, "aim": aim}

    @property
    def path(self) -> str:
        return str(self._port.link)

    def scan(self, code: str) -> None:
        self._port.write(encode_scan(code, **self._framing))

    def write_raw(self, data: bytes) -> None:
        self._port.write(data)

    def unplug(self) -> None:
        self._port.close()

    def replug(self) -> None:
        if self._port.master is None:
            self._port.open()

    def close(self) -> None:
        self._port.close()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> VirtualScanner:
        self._port.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.command(args)


def _stop_on_ctrl_c() -> None:
    """Ctrl-C stops the command even when it was started in the background of a shell, which
    starts a command with SIGINT ignored (POSIX) and would leave the simulator running."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _pty(args: argparse.Namespace) -> int:
    """Serve a virtual scanner: stdin lines and bytes written to the feed port become scans."""
    for stop in (signal.SIGTERM, signal.SIGHUP):  # stopped, or its terminal closed: clean up the links
        signal.signal(stop, lambda *_: sys.exit(0))
    _stop_on_ctrl_c()
    try:
        _serve_pty(args)
    except KeyboardInterrupt:  # at any moment, set-up included: the links are cleaned up
        pass
    return 0


def _serve_pty(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="kiosk-sim-"))
    feed = PtyPort(Path(args.feed_link) if args.feed_link else folder / "feed")
    try:
        with VirtualScanner(link=args.link or folder / "scanner", **_framing(args)) as scanner:
            feed.open()
            feed_master = feed.master
            assert feed_master is not None  # open() just set it
            print(f"scanner device: {scanner.path}   (KIOSK_SCANNER_PORT={scanner.path})", flush=True)
            print(f"feed port:      {feed.link}   (kiosk-sim scan --port {feed.link} CODE...)", flush=True)
            print("type a code and Enter to scan it; Ctrl-C to stop", flush=True)
            stdin = sys.stdin.fileno()
            sources, typed = [stdin, feed_master], b""
            while True:
                for fd in select.select(sources, [], [])[0]:
                    chunk = os.read(fd, 4096)
                    if fd == feed_master:
                        scanner.write_raw(chunk)
                        continue
                    if not chunk:  # stdin closed: scan an unfinished last line, keep the feed port
                        sources.remove(fd)
                        chunk = b"\n"
                    *lines, typed = (typed + chunk).split(b"\n")
                    for line in filter(None, (line.strip() for line in lines)):
                        scanner.scan(line.decode(errors="replace"))
    finally:
        feed.close()
        shutil.rmtree(folder, ignore_errors=True)


def _scan(args: argparse.Namespace) -> int:
    """Write scans to an existing port (a real serial line, or the feed port of ``kiosk-sim pty``)."""
    try:
        with serial.Serial(args.port, args.baud, write_timeout=5) as port:
            for index, code in enumerate(args.codes):
                if index and args.interval:
                    time.sleep(args.interval)
                port.write(encode_scan(code, **_framing(args)))
                port.flush()
    except (serial.SerialException, OSError) as exc:
        print(f"kiosk-sim scan: {exc}", file=sys.stderr)
        return 1
    return 0


def _watch(args: argparse.Namespace) -> int:
    """Print what the driver makes of a port: scans, plausible rejections, state changes."""
    config = DeviceConfig("watch", args.port, baud=args.baud, terminator=args.terminator,
                          prefix=args.prefix, suffix=args.suffix, aim_ids=args.aim,
                          strip_sentinels=args.card_reader, institution=args.institution)
    enough = threading.Event()
    scans = 0
    shown_state: list[tuple[str, str | None]] = []

    def on_scan(event: ScanEvent) -> None:
        nonlocal scans
        print(f"scan {event.kind} {event.code} symbology={event.symbology}", flush=True)
        scans += 1
        if args.count and scans >= args.count:
            enough.set()

    def on_reject(rejection: Rejection) -> None:
        print(f"rejected ({rejection.reason}): {rejection.text}", flush=True)

    def on_status(status: DeviceStatus) -> None:
        if shown_state[-1:] != [(status.state, status.reason)]:
            shown_state.append((status.state, status.reason))
            print(f"status {status.state}" + (f": {status.reason}" if status.reason else ""), flush=True)

    _stop_on_ctrl_c()
    with SerialDevice(config, on_scan, on_status, on_reject) as device:
        try:
            enough.wait()
        except KeyboardInterrupt:
            pass
        status = device.status
    print(f"good {status.good}, rejected {status.rejected} {status.rejected_by_reason}, "
          f"duplicates {status.duplicates}", flush=True)
    return 0


def _labels(args: argparse.Namespace) -> int:
    try:
        count = write_sheet(Path(args.out), Path(args.data))
    except (OSError, ValueError, KeyError) as exc:
        print(f"kiosk-sim labels: {exc}", file=sys.stderr)
        return 1
    print(f"{count} labels written to {args.out}")
    return 0


def _framing(args: argparse.Namespace) -> Framing:
    return {"terminator": args.terminator, "prefix": args.prefix, "suffix": args.suffix,
            "aim": args.aim}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-sim",
        description="Virtual serial scanner, scan writer, port watcher and barcode label sheets.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    framing = argparse.ArgumentParser(add_help=False)
    framing.add_argument("--terminator", choices=sorted(TERMINATORS), default="CR",
                         help="line terminator the scanner sends (default CR)")
    framing.add_argument("--prefix", default="", help="characters sent before each code")
    framing.add_argument("--suffix", default="", help="characters sent after each code")
    framing.add_argument("--aim", action="store_true",
                         help="send AIM symbology identifiers (]F0 Codabar, ]E0 EAN-13, ]C0 other)")

    pty = commands.add_parser("pty", parents=[framing], help=_pty.__doc__)
    pty.add_argument("--link", help="path of the device symlink (default: in a temporary folder)")
    pty.add_argument("--feed-link", help="path of the feed port symlink")
    pty.set_defaults(command=_pty)

    scan = commands.add_parser("scan", parents=[framing], help=_scan.__doc__)
    scan.add_argument("--port", required=True, help="serial device to write to")
    scan.add_argument("--baud", type=int, default=9600)
    scan.add_argument("--interval", type=float, default=0.0, help="seconds between scans")
    scan.add_argument("codes", nargs="+", metavar="CODE")
    scan.set_defaults(command=_scan)

    watch = commands.add_parser("watch", parents=[framing], help=_watch.__doc__)
    watch.add_argument("--port", required=True, help="serial device to read")
    watch.add_argument("--baud", type=int, default=9600)
    watch.add_argument("--card-reader", action="store_true", help="strip magstripe track sentinels")
    watch.add_argument("--institution", default="0042", help="4-digit institution code")
    watch.add_argument("--count", type=int, default=0, help="exit after this many scans")
    watch.set_defaults(command=_watch)

    labels = commands.add_parser("labels", help="write a printable SVG sheet of the demo barcodes")
    labels.add_argument("--out", required=True, help="SVG file to write")
    labels.add_argument("--data", default=str(DEFAULT_DATA_DIR), help="folder of the demo data")
    labels.set_defaults(command=_labels)
    return parser


if __name__ == "__main__":
    sys.exit(main())
