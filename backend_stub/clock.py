"""A wall clock that tests can move forward, so hold expiry and fines need no waiting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """UTC time plus an offset that only grows (``advance``); thread-safe."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()
