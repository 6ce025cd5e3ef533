"""A device's byte stream to scans and rejections: framing, text checks, sentinels, AIM, screening.

Pure and single-threaded (the serial reader feeds it from its thread), so the whole path from bytes
to events is testable without a port. Nothing it is fed can make it raise.
"""

from __future__ import annotations

import re

from hardware.aim import split_aim
from hardware.codes import RejectReason
from hardware.config import DeviceConfig
from hardware.events import Rejection, ScanEvent
from hardware.framing import LineFramer
from hardware.screening import Screener

Decoded = ScanEvent | Rejection
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Track 2 (";number=...?") is preferred where a reader sends both tracks; track 1 is "%Bnumber^...?".
_TRACK2 = re.compile(r";([^;=?]*)[=?]")
_TRACK1 = re.compile(r"^%B?([^^?]*)[\^?]")


def strip_track_sentinels(text: str) -> str:
    """``";20042000000016?"``, ``";20042000000016=2512?"`` or ``"%B20042000000016^KIM/MINJI^?"``
    -> ``"20042000000016"``; text without sentinels is returned as it is."""
    match = _TRACK2.search(text) or _TRACK1.match(text)
    return match.group(1) if match else text


class StreamDecoder:
    def __init__(self, config: DeviceConfig, screener: Screener | None = None) -> None:
        self.config = config
        self.screener = screener or Screener(config.name, config.institution,
                                             config.duplicate_window_s)
        self._framer = LineFramer(config.terminator, config.max_line)
        self._prefix = config.prefix.encode("ascii")
        self._suffix = config.suffix.encode("ascii")

    def feed(self, data: bytes, at: float) -> list[Decoded]:
        out: list[Decoded] = []
        for frame in self._framer.feed(data):
            if frame.overlong:
                out.append(self.screener.reject(frame.data, RejectReason.LINE_TOO_LONG, at))
            elif (decoded := self._line(frame.data, at)) is not None:
                out.append(decoded)
        return out

    def flush(self, at: float) -> Rejection | None:
        """Count a line cut off by a disconnect; it is never emitted as a scan."""
        frame = self._framer.flush()
        if frame is None or not frame.data.strip():
            return None
        reason = RejectReason.LINE_TOO_LONG if frame.overlong else RejectReason.INCOMPLETE_LINE
        return self.screener.reject(frame.data, reason, at)

    @property
    def buffered(self) -> int:
        return self._framer.buffered

    def _line(self, line: bytes, at: float) -> Decoded | None:
        line = line.strip()
        if self._prefix and line.startswith(self._prefix):
            line = line[len(self._prefix):]
        if self._suffix and line.endswith(self._suffix):
            line = line[: -len(self._suffix)]
        if not line.strip():
            return None  # a bare terminator (keep-alive, CR of a CRLF device): not a read
        try:
            text = line.decode("ascii").strip()
        except UnicodeDecodeError:
            return self.screener.reject(line, RejectReason.NOT_TEXT, at)
        if _CONTROL.search(text):
            return self.screener.reject(text, RejectReason.NOT_TEXT, at)
        if self.config.strip_sentinels:
            text = strip_track_sentinels(text)
        symbology = None
        if self.config.aim_ids:
            symbology, text = split_aim(text)
        return self.screener.screen(text, at, symbology)
