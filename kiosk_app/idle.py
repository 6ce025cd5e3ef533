"""Inactivity: when to ask "still here?" and when to end a patron's session.

Driven by ticks rather than wall time, so the app feeds it from a one-second timer and the tests
feed it directly, without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MORE_TIME = 2
"""How many times the library's inactivity time a patron who asked for more time gets."""


class IdleState(Enum):
    ACTIVE = "active"
    WARN = "warn"
    EXPIRED = "expired"


@dataclass
class IdleClock:
    """Idle seconds since the patron last did anything; warns for the last ``warn_s`` of them."""

    timeout_s: float
    warn_s: float = 15.0
    idle_s: float = 0.0

    def __post_init__(self) -> None:
        self.warn_s = min(self.warn_s, self.timeout_s / 2)
        self.library_timeout_s = self.timeout_s

    def touch(self) -> None:
        self.idle_s = 0.0

    def more_time(self) -> None:
        """The patron asked for more time ("still here?"): for the rest of the visit, twice the
        library's time before the warning, which stays as long (time extension, MSIT criteria)."""
        self.timeout_s = self.library_timeout_s * MORE_TIME
        self.touch()

    def new_visit(self) -> None:
        """The next patron starts with the library's time."""
        self.timeout_s = self.library_timeout_s
        self.touch()

    @property
    def remaining_s(self) -> int:
        return max(0, round(self.timeout_s - self.idle_s))

    @property
    def state(self) -> IdleState:
        if self.idle_s >= self.timeout_s:
            return IdleState.EXPIRED
        if self.idle_s >= self.timeout_s - self.warn_s:
            return IdleState.WARN
        return IdleState.ACTIVE

    def tick(self, seconds: float = 1.0) -> IdleState:
        self.idle_s += seconds
        return self.state
