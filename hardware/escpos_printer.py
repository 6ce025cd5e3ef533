"""The receipt printer: an ESC/POS byte stream out, its real-time status (DLE EOT) in.

The stream is built by python-escpos (its ``Dummy`` printer collects the bytes): the receipt as
raster images (``GS v 0``), so Hangul prints as drawn, whatever code pages the printer knows, then
a Code 128 of the visit number and a cut. The bytes go to the device named by ``receipt_printer``:
a serial port (pyserial, as the scanners), a USB printer-class device (``/dev/usb/lp0``), or a
plain file, which takes the stream as it is and has no status to tell.

Status is asked the way ESC/POS printers answer it at any time, even mid-job: ``DLE EOT 1``
(printer: offline), ``DLE EOT 2`` (offline cause: cover open, stopped for paper end) and
``DLE EOT 4`` (roll paper sensor: near end, out). Each answer is one byte; no byte within
``STATUS_TIMEOUT_S`` means the printer is off or unplugged.
"""

from __future__ import annotations

import logging
import os
import select
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import serial

if TYPE_CHECKING:
    from PIL import Image  # only a type here: Pillow is loaded by whoever draws the pictures

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
STATUS_TIMEOUT_S = 0.5
WRITE_TIMEOUT_S = 5.0
CHUNK = 1024
"""Bytes per write: a printer that stops mid-job is noticed within one chunk."""
DOTS_PER_MM = 8
"""203 dpi, the resolution of common thermal receipt printers."""
PRINTABLE_MM = {80: 72, 58: 48}
"""Paper width → printable width: 576 dots on 80 mm paper, 384 on 58 mm."""


class PrinterState(StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    NO_ANSWER = "no_answer"
    """The device opened but did not answer a status request: switched off, or not ESC/POS."""
    MISSING = "missing"
    """The device cannot be opened (unplugged, wrong path, permission)."""
    FILE = "file"
    """A plain file takes the stream; it has no status and never runs out of paper."""

    @property
    def can_print(self) -> bool:
        return self in (PrinterState.OK, PrinterState.PAPER_NEAR_END, PrinterState.FILE)


def dots_wide(width_mm: int) -> int:
    """The printable width in dots for a paper width (80 or 58 mm)."""
    return PRINTABLE_MM[width_mm] * DOTS_PER_MM


def state_of(printer: int, cause: int, paper: int) -> PrinterState:
    """The one state a technician acts on, from the three status bytes (the worst first)."""
    if paper & 0x60 or cause & 0x20:
        return PrinterState.PAPER_OUT
    if cause & 0x04:
        return PrinterState.COVER_OPEN
    if printer & 0x08:
        return PrinterState.OFFLINE
    if paper & 0x0C:
        return PrinterState.PAPER_NEAR_END
    return PrinterState.OK


def receipt_stream(pictures: list[Image.Image], visit: str) -> bytes:
    """The ESC/POS bytes of one receipt: each picture as a raster image, the visit number as a
    Code 128 with its digits below, feed and cut."""
    # Imported at the first print, not with this module: importing python-escpos runs
    # logging.basicConfig(), which would send every log line of a process that has not set up
    # its logging yet (the app, at start) to stderr, the patron's screen.
    from escpos.printer import Dummy

    out = Dummy()
    width = max(picture.width for picture in pictures)
    out.profile.profile_data = {**out.profile.profile_data,
                                "media": {"dpi": DOTS_PER_MM * 25.4, "width": {"pixels": width}}}
    out.hw("INIT")
    for picture in pictures:
        out.image(picture, impl="bitImageRaster", center=False)
    # The printer draws the bars (GS k, Code 128 set B). _hw_barcode is what the public barcode()
    # calls after printing "Using hardware barcode renderer" to stdout, the patron's screen.
    out._hw_barcode("{B" + visit, "CODE128", height=80, width=2, pos="BELOW", align_ct=True,
                    function_type="B")
    out.cut()
    return bytes(out.output)


class PrintFailed(Exception):
    """The stream did not reach the printer whole; ``sent`` bytes of it did (0: nothing printed)."""

    def __init__(self, sent: int, reason: str) -> None:
        super().__init__(reason)
        self.sent = sent
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EscposPrinter:
    """The printer at ``path``; each call opens it, so a printer replaced or re-plugged between
    patrons is found again without a restart."""

    path: Path
    baud: int = 9600

    @property
    def is_file(self) -> bool:
        """A regular file, or a new one to be made (a name anywhere under /dev that is absent,
        ``/dev/usb/lp0`` or ``/dev/serial/by-id/...`` too, is a printer unplugged, not a file)."""
        try:
            return stat.S_ISREG(os.stat(self.path).st_mode)
        except OSError:
            return not self.path.is_relative_to("/dev") and self.path.parent.is_dir()

    def state(self) -> PrinterState:
        """Ask the printer how it is (a plain file: ``FILE``; nothing there: ``MISSING``)."""
        if self.is_file:
            return PrinterState.FILE
        try:
            with _Link.open(self.path, self.baud) as link:
                replies = [link.ask(DLE_EOT + bytes([n])) for n in (1, 2, 4)]
        except serial.SerialTimeoutException:
            return PrinterState.NO_ANSWER  # it takes no bytes: stopped mid-job, or jammed
        except OSError as exc:
            log.info("printer %s: cannot be opened: %s", self.path, exc)
            return PrinterState.MISSING
        if None in replies:
            return PrinterState.NO_ANSWER
        return state_of(*(reply[0] for reply in replies if reply is not None))

    def write(self, stream: bytes) -> None:
        """Send the whole stream, or raise :class:`PrintFailed` saying how much went out."""
        sent = 0
        try:
            if self.is_file:
                with self.path.open("ab") as out:
                    out.write(stream)
                return
            with _Link.open(self.path, self.baud) as link:
                for start in range(0, len(stream), CHUNK):
                    link.write(stream[start:start + CHUNK])
                    sent = start + len(stream[start:start + CHUNK])
        except (OSError, serial.SerialException) as exc:
            raise PrintFailed(sent, str(exc)) from None


class _Link:
    """One open printer device: a tty through pyserial, else a character device (USB printer
    class) through its file descriptor."""

    def __init__(self, port: serial.Serial | None, fd: int | None) -> None:
        self.port = port
        self.fd = fd

    @classmethod
    def open(cls, path: Path, baud: int) -> _Link:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        if os.isatty(fd):
            os.close(fd)
            try:
                return cls(serial.Serial(str(path), baud, timeout=STATUS_TIMEOUT_S,
                                         write_timeout=WRITE_TIMEOUT_S, exclusive=True), None)
            except serial.SerialException as exc:
                raise OSError(str(exc)) from None
        os.set_blocking(fd, True)
        return cls(None, fd)

    def __enter__(self) -> _Link:
        return self

    def __exit__(self, *_: object) -> None:
        if self.port is not None:
            self.port.close()
        elif self.fd is not None:
            os.close(self.fd)

    def write(self, data: bytes) -> None:
        if self.port is not None:
            self.port.write(data)
            return
        assert self.fd is not None
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self.fd], [], WRITE_TIMEOUT_S)
            if not ready:
                raise OSError("printer does not take data (write timeout)")
            view = view[os.write(self.fd, view):]

    def ask(self, request: bytes) -> bytes | None:
        """One status byte in answer to ``request``, or None when none came in time."""
        if self.port is not None:
            self.port.reset_input_buffer()
            self.port.write(request)
            return self.port.read(1) or None
        assert self.fd is not None
        self.write(request)  # with the write timeout: a jammed USB printer's driver blocks a plain write
        ready, _, _ = select.select([self.fd], [], [], STATUS_TIMEOUT_S)
        return os.read(self.fd, 1) or None if ready else None
