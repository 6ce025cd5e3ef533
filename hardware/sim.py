"""``kiosk-sim``: a virtual scanner on a pseudo-terminal, scans written to a port, label sheets.

:class:`VirtualScanner` is the device end of a pty pair behind a stable symlink (``.path``), so a
driver configured with that path sees a real serial device that can be unplugged and plugged back
in at the same path, as a udev symlink behaves with real hardware.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import sys
import tempfile
import time
import tty
from pathlib import Path

import serial

from hardware.aim import aim_identifier
from hardware.framing import TERMINATORS, Terminator
from hardware.labels import DEFAULT_DATA_DIR, write_sheet


def encode_scan(code: str, terminator: Terminator = "CR", prefix: str = "", suffix: str = "",
                aim: bool = False) -> bytes:
    """The bytes a scanner sends for one read of ``code``."""
    identifier = aim_identifier(code) if aim else ""
    return f"{prefix}{identifier}{code}{suffix}".encode("ascii") + TERMINATORS[terminator]


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
        self._own_dir = None if link is not None else Path(tempfile.mkdtemp(prefix="kiosk-sim-"))
        self._port = PtyPort(Path(link) if link is not None else self._own_dir / "scanner")
        self._framing = {"terminator": terminator, "prefix": prefix, "suffix": suffix, "aim": aim}

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


def _pty(args: argparse.Namespace) -> int:
    """Serve a virtual scanner: stdin lines and bytes written to the feed port become scans."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-sim-"))
    feed = PtyPort(Path(args.feed_link) if args.feed_link else folder / "feed")
    with VirtualScanner(link=args.link or folder / "scanner", **_framing(args)) as scanner:
        feed.open()
        print(f"scanner device: {scanner.path}   (KIOSK_SCANNER_PORT={scanner.path})", flush=True)
        print(f"feed port:      {feed.link}   (kiosk-sim scan --port {feed.link} CODE...)", flush=True)
        print("type a code and Enter to scan it; Ctrl-C to stop", flush=True)
        sources = [sys.stdin.fileno(), feed.master]
        try:
            while True:
                for fd in select.select(sources, [], [])[0]:
                    if fd == feed.master:
                        scanner.write_raw(os.read(fd, 4096))
                        continue
                    line = sys.stdin.readline()
                    if not line:
                        sources.remove(fd)  # stdin closed: keep serving the feed port
                    elif line.strip():
                        scanner.scan(line.strip())
        except KeyboardInterrupt:
            return 0
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
    except (serial.SerialException, OSError, UnicodeEncodeError) as exc:
        print(f"kiosk-sim scan: {exc}", file=sys.stderr)
        return 1
    return 0


def _labels(args: argparse.Namespace) -> int:
    try:
        count = write_sheet(Path(args.out), Path(args.data))
    except (OSError, ValueError, KeyError) as exc:
        print(f"kiosk-sim labels: {exc}", file=sys.stderr)
        return 1
    print(f"{count} labels written to {args.out}")
    return 0


def _framing(args: argparse.Namespace) -> dict:
    return {"terminator": args.terminator, "prefix": args.prefix, "suffix": args.suffix,
            "aim": args.aim}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-sim", description="Virtual serial scanner, scan writer and barcode label sheets.")
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

    labels = commands.add_parser("labels", help="write a printable SVG sheet of the demo barcodes")
    labels.add_argument("--out", required=True, help="SVG file to write")
    labels.add_argument("--data", default=str(DEFAULT_DATA_DIR), help="folder of the demo data")
    labels.set_defaults(command=_labels)
    return parser


if __name__ == "__main__":
    sys.exit(main())
