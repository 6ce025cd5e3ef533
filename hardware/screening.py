"""One scanned text to a scan, a rejection or nothing (a re-trigger), with the counters.

Shared by the serial devices and the keyboard-wedge decoder, so a code is judged the same way
whichever way it arrived.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict

from hardware.codes import RejectReason, classify
from hardware.events import Rejection, ScanEvent, shown_text

NOISE_REASONS = frozenset({RejectReason.NOT_TEXT, RejectReason.LINE_TOO_LONG,
                           RejectReason.INCOMPLETE_LINE})
MIN_PLAUSIBLE_LENGTH = 4


class DuplicateFilter:
    """The same code seen again within ``window_s`` of its last sighting is a re-trigger.

    The window slides: a scanner left re-triggering on one label yields one scan. Different codes
    never merge. Memory is bounded by ``capacity`` codes (the oldest sightings go first).
    """

    def __init__(self, window_s: float, capacity: int = 1024) -> None:
        self._window_s = window_s
        self._capacity = capacity
        self._last_seen: OrderedDict[str, float] = OrderedDict()

    def is_repeat(self, code: str, at: float) -> bool:
        horizon = at - self._window_s
        while self._last_seen and (
            next(iter(self._last_seen.values())) <= horizon or len(self._last_seen) >= self._capacity
        ):
            self._last_seen.popitem(last=False)
        repeat = code in self._last_seen
        self._last_seen[code] = at
        self._last_seen.move_to_end(code)
        return repeat

    def __len__(self) -> int:
        return len(self._last_seen)


class Tally:
    """Counters of one device since it started."""

    def __init__(self) -> None:
        self.good = 0
        self.duplicates = 0
        self.by_reason: Counter[str] = Counter()
        self.last_scan_at: float | None = None

    @property
    def rejected(self) -> int:
        return sum(self.by_reason.values())


class Screener:
    def __init__(self, device: str, institution: str = "0042",
                 duplicate_window_s: float = 1.5) -> None:
        self.device = device
        self.institution = institution
        self.tally = Tally()
        self._duplicates = DuplicateFilter(duplicate_window_s)

    def screen(self, text: str, at: float, symbology: str | None = None) -> ScanEvent | Rejection | None:
        result = classify(text, self.institution)
        if result.reason is not None:
            return self.reject(text, result.reason, at)
        if self._duplicates.is_repeat(result.code, at):
            self.tally.duplicates += 1
            return None
        self.tally.good += 1
        self.tally.last_scan_at = time.time()
        return ScanEvent(result.code, result.kind, symbology, self.device, at)

    def reject(self, raw: str | bytes, reason: RejectReason, at: float) -> Rejection:
        self.tally.by_reason[reason] += 1
        text = shown_text(raw)
        plausible = reason not in NOISE_REASONS and len(text) >= MIN_PLAUSIBLE_LENGTH
        return Rejection(text, reason, self.device, at, plausible)
