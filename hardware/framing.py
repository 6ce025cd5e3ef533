"""Bytes to lines: the framing every serial device (scanner or card reader) shares.

A device sends each read as one line: ``[prefix][AIM id]code[suffix]terminator``. The framer cuts
the stream at the terminator and keeps at most ``max_line`` bytes of an unfinished line, so a
device that never sends a terminator (or a stream of noise) cannot grow memory: an overlong line is
dropped as a whole, up to its terminator, and reported once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Terminator = Literal["CR", "LF", "CRLF"]
TERMINATORS: dict[str, bytes] = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}


@dataclass(frozen=True, slots=True)
class Frame:
    """One line without its terminator; ``overlong`` lines keep only their first bytes."""

    data: bytes
    overlong: bool = False


class LineFramer:
    def __init__(self, terminator: Terminator = "CR", max_line: int = 256) -> None:
        if max_line < 1:
            raise ValueError("max_line must be at least 1")
        self._terminator = TERMINATORS[terminator]
        self._max_line = max_line
        self._buffer = bytearray()
        self._overlong_head: bytes | None = None  # set while skipping the rest of a long line

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        term = self._terminator
        start = 0
        while (end := self._buffer.find(term, start)) >= 0:
            frames.append(self._frame(bytes(self._buffer[start:end])))
            start = end + len(term)
        del self._buffer[:start]
        if len(self._buffer) > self._max_line:
            self._start_skipping()
        return frames

    def flush(self) -> Frame | None:
        """The unfinished line, if any (the device went away mid-line); the buffer is emptied."""
        if self._overlong_head is not None:
            frame = Frame(self._overlong_head, overlong=True)
        elif self._buffer:
            frame = Frame(bytes(self._buffer))
        else:
            frame = None
        self._buffer.clear()
        self._overlong_head = None
        return frame

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def _frame(self, line: bytes) -> Frame:
        if self._overlong_head is not None:
            frame = Frame(self._overlong_head, overlong=True)
            self._overlong_head = None
            return frame
        if len(line) > self._max_line:
            return Frame(line[: self._max_line], overlong=True)
        return Frame(line)

    def _start_skipping(self) -> None:
        if self._overlong_head is None:
            self._overlong_head = bytes(self._buffer[: self._max_line])
        # Keep only what could be the start of a terminator split across reads.
        keep = len(self._terminator) - 1
        del self._buffer[: len(self._buffer) - keep]
