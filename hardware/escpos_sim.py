"""A receipt printer you can script, and a reader of what was sent to it.

``decode(stream)`` parses an ESC/POS byte stream command by command (the subset the kiosk and
common receipt printers use) into a :class:`Printout`: raster images turned back into pictures,
barcodes, cuts, text bytes and status requests. ``VirtualPrinter`` is a printer on a pty (the
device side appears as a path, as a real one on a serial port): it takes the stream, answers
``DLE EOT`` status requests with the state it is given (paper out, cover open, ...), and can stop
taking bytes partway through a job, as a printer does that runs out of paper or jams.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from hardware.sim import PtyPort

STATUS_BYTES = {
    "ok": (0x12, 0x12, 0x12),
    "paper_near_end": (0x12, 0x12, 0x1E),
    "paper_out": (0x1A, 0x32, 0x72),
    "cover_open": (0x1A, 0x16, 0x12),
    "offline": (0x1A, 0x12, 0x12),
}
"""Answers to DLE EOT 1, 2, 4 of a printer in each state (fixed bits 1 and 4 set)."""
_REAL_TIME = re.compile(rb"\x10\x04([\x01\x02\x04])")
"""A status request, answered as it arrives, even in the middle of a job's data (as printers do:
the reason ESC/POS warns that raster data may happen to contain one)."""
_FIXED_ONE_BYTE_ARG = {b"\x1ba", b"\x1bd", b"\x1bt", b"\x1b!", b"\x1bE", b"\x1bM", b"\x1d!",
                       b"\x1dh", b"\x1dw", b"\x1df", b"\x1dH", b"\x1bJ", b"\x1b-", b"\x1bG"}


@dataclass
class Printout:
    pictures: list[Image.Image] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    cuts: int = 0
    text: bytearray = field(default_factory=bytearray)
    status_requests: list[int] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


def _command(buf: bytes, at: int) -> tuple[str, object, int] | None:
    """The command starting at ``at``: (name, argument, end), or None while it is incomplete."""
    def need(n: int) -> bool:
        return at + n <= len(buf)

    head = buf[at:at + 2]
    if buf[at] not in (0x10, 0x1B, 0x1D):
        return "text", buf[at], at + 1
    if not need(2):
        return None
    if head == b"\x10\x04":
        return ("status", buf[at + 2], at + 3) if need(3) else None
    if head == b"\x1b@":
        return "init", None, at + 2
    if head in _FIXED_ONE_BYTE_ARG:
        return (head.decode("latin-1"), buf[at + 2], at + 3) if need(3) else None
    if head == b"\x1dv":
        if not need(8):
            return None
        width, height = buf[at + 4] + 256 * buf[at + 5], buf[at + 6] + 256 * buf[at + 7]
        end = at + 8 + width * height
        if end > len(buf):
            return None
        picture = Image.frombytes("1", (width * 8, height), bytes(buf[at + 8:end]), "raw", "1;I")
        return "raster", picture, end
    if head == b"\x1dk":
        if not need(4):
            return None
        kind = buf[at + 2]
        if kind >= 65:
            end = at + 4 + buf[at + 3]
            return ("barcode", bytes(buf[at + 4:end]).decode("ascii"), end) if end <= len(buf) else None
        stop = buf.find(b"\x00", at + 3)
        return ("barcode", bytes(buf[at + 3:stop]).decode("ascii"), stop + 1) if stop >= 0 else None
    if head == b"\x1dV":
        if not need(3):
            return None
        extra = 1 if buf[at + 2] in (65, 66, 97, 98, 103, 104) else 0
        return ("cut", buf[at + 2], at + 3 + extra) if need(3 + extra) else None
    return "unknown", bytes(head), at + 2


def decode_into(printout: Printout, buf: bytes, at: int = 0) -> int:
    """Decode the whole commands of ``buf`` from ``at`` into ``printout``; where the next
    (incomplete) command starts."""
    while at < len(buf):
        found = _command(buf, at)
        if found is None:
            break
        name, value, at = found
        if name == "text":
            printout.text.append(value)  # type: ignore[arg-type]  # _command gives text as one byte, an int
            continue
        printout.commands.append(name)
        if name == "raster":
            printout.pictures.append(value)  # type: ignore[arg-type]  # _command gives raster as an Image
        elif name == "barcode":
            printout.barcodes.append(str(value).removeprefix("{B"))
        elif name == "cut":
            printout.cuts += 1
        elif name == "status":
            printout.status_requests.append(value)  # type: ignore[arg-type]  # _command gives status as an int
    return at


def decode(stream: bytes) -> Printout:
    printout = Printout()
    decode_into(printout, stream)
    return printout


def stacked(pictures: list[Image.Image]) -> Image.Image:
    """The raster pieces of a receipt as one picture, as the paper shows them."""
    width = max(picture.width for picture in pictures)
    whole = Image.new("1", (width, sum(picture.height for picture in pictures)), 1)
    top = 0
    for picture in pictures:
        whole.paste(picture, (0, top))
        top += picture.height
    return whole


class VirtualPrinter:
    """``with VirtualPrinter() as printer:`` a printer at ``printer.path`` (a pty); ``state``
    (a key of ``STATUS_BYTES``) is what it answers; ``take_only(n)`` makes it stop reading after
    ``n`` more bytes of print data; ``printout`` and ``received`` are what it got."""

    def __init__(self, link: str | Path | None = None) -> None:
        self._own_dir: Path | None = None
        if link is None:
            self._own_dir = own_dir = Path(tempfile.mkdtemp(prefix="kiosk-printer-"))
            link = own_dir / "printer"
        self._port = PtyPort(Path(link))
        self.state = "ok"
        self.printout = Printout()
        self.received = bytearray()
        self.cut = threading.Event()
        self._budget: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        return str(self._port.link)

    def take_only(self, count: int) -> None:
        self._budget = count

    def __enter__(self) -> VirtualPrinter:
        self._port.open()
        self._thread = threading.Thread(target=self._serve, name="virtual-printer", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._port.close()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def _serve(self) -> None:
        pending = bytearray()
        tail = b""
        master = self._port.master
        assert master is not None
        while not self._stop.is_set():
            if self._budget is not None and self._budget <= 0:
                self._stop.wait(0.05)  # stopped mid-job: the sender's writes back up and time out
                continue
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096 if self._budget is None else min(4096, self._budget))
            except OSError:
                return
            if self._budget is not None:
                self._budget -= len(chunk)
            window, tail = tail + chunk, (tail + chunk)[-2:]
            for request in _REAL_TIME.finditer(window):
                if request.end() > len(window) - len(chunk):  # not answered with the last chunk
                    os.write(master, bytes([STATUS_BYTES[self.state][(1, 2, 4).index(request[1][0])]]))
            with self._lock:
                self.received += chunk
                pending += chunk
                used = decode_into(self.printout, bytes(pending))
                del pending[:used]
                if self.printout.cuts:
                    self.cut.set()
