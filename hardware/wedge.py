"""Keyboard-wedge scanners: a USB scanner that types the code and presses Enter.

The app feeds every key it receives (with its ``time.monotonic()`` timestamp) into a
:class:`WedgeDecoder`. A scanner types a whole code in a burst, a few milliseconds per key; a person
needs a hundred or more. When Enter arrives, a burst whose every gap was short is screened as a
scan (the same validation as the serial devices); anything slower is handed back as typed text.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.events import Rejection, ScanEvent
from hardware.screening import Screener

ENTER_KEYS = frozenset({"enter", "\r", "\n"})


@dataclass(frozen=True, slots=True)
class TypedText:
    """Keys a person typed (too slow, or too short, to be a scanner), ending with Enter."""

    text: str


WedgeResult = ScanEvent | Rejection | TypedText | None


class WedgeDecoder:
    """``feed(key, at)`` returns ``None`` until Enter, then the scan, rejection or typed text.

    ``key`` is one printable character, or ``"enter"``; other keys (shift, arrows) are ignored.
    ``max_gap_s`` is the longest pause between two keys of a scan; ``min_length`` the shortest
    code a scan can have. A duplicate re-trigger (same code within the window) returns ``None``.
    """

    def __init__(self, device: str = "keyboard", institution: str = "0042",
                 duplicate_window_s: float = 1.5, max_gap_s: float = 0.05,
                 min_length: int = 8, max_length: int = 64) -> None:
        self.screener = Screener(device, institution, duplicate_window_s)
        self._max_gap_s = max_gap_s
        self._min_length = min_length
        self._max_length = max_length
        self._keys: list[str] = []
        self._burst = True
        self._last_at: float | None = None

    def feed(self, key: str, at: float) -> WedgeResult:
        if key in ENTER_KEYS:
            return self._finish(at)
        if len(key) != 1 or not key.isprintable():
            return None
        if self._last_at is not None and at - self._last_at > self._max_gap_s:
            self._burst = False
        self._last_at = at
        if len(self._keys) < self._max_length:
            self._keys.append(key)
        else:
            self._burst = False
        return None

    @property
    def pending(self) -> str:
        """Keys since the last Enter (for echoing typed input)."""
        return "".join(self._keys)

    def _finish(self, at: float) -> WedgeResult:
        text, burst = self.pending, self._burst
        gap_ok = self._last_at is None or at - self._last_at <= self._max_gap_s
        self._keys, self._burst, self._last_at = [], True, None
        if not text:
            return None
        if burst and gap_ok and len(text) >= self._min_length:
            return self.screener.screen(text, at)
        return TypedText(text)
