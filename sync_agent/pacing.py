"""How many deliveries the relay keeps in flight: additive increase, multiplicative decrease.

After an outage every kiosk of a library reconnects at once with its whole backlog. The central
side then answers slowly, times out, or sheds load with 503/429 and ``Retry-After``. That is
overload, not an outage: the answer is to send less, not to stop (see :mod:`sync_agent.breakers`).

The window starts at one delivery and grows by one with each success (doubling per round trip,
like TCP's slow start) up to ``relay_parallelism``. The first overload signal (a timeout, 5xx,
429, a dropped connection) halves it, and it then grows by one per window of successes (additive
increase). One burst of failures cuts it once: failures of deliveries sent before the last cut
do not cut again. A ``Retry-After`` pauses new deliveries to that dependency until it has passed,
stretched by a random 0-50 % so the fleet's kiosks do not all come back in the same second.
"""

from __future__ import annotations

import random
import time

from sync_agent.results import KIOSK_WIDE, Busy, BusyReason, InDoubt, Result

SPREAD = 0.5
"""A ``Retry-After`` pause is stretched by up to this fraction, drawn per pause."""


class Pacer:
    """The relay's congestion window toward the central side (one per relay)."""

    def __init__(self, ceiling: int, rng: random.Random | None = None) -> None:
        self.ceiling = ceiling
        self.limit = 1.0
        self.slow_start = True
        self.cuts = 0
        """How many times overload halved the window (for the metrics)."""
        self._last_cut = -1.0
        self._paused_until: dict[str, float] = {}
        self._rng = rng or random.Random()

    def window(self) -> int:
        """Deliveries that may be in flight now."""
        return max(1, int(self.limit))

    def observe(self, dependency: str, result: Result[object], sent_at: float) -> None:
        """Adjust the window to one delivery's result; ``sent_at``: ``time.monotonic()`` when it
        was sent."""
        if not isinstance(result, Busy | InDoubt):
            self._grow()
            return
        if isinstance(result, Busy) and (result.reason is BusyReason.BREAKER_OPEN or
                                         result.reason in KIOSK_WIDE):
            return  # nothing was sent, or the answer is about the kiosk, not the load
        if result.retry_after_s:
            pause = result.retry_after_s * (1 + self._rng.uniform(0, SPREAD))
            until = time.monotonic() + pause
            self._paused_until[dependency] = max(self._paused_until.get(dependency, 0.0), until)
        if sent_at > self._last_cut:  # one cut per burst: later news of the same burst is stale
            self._last_cut = time.monotonic()
            self.slow_start = False
            self.cuts += 1
            self.limit = max(1.0, self.limit / 2)

    def paused_for(self, dependency: str) -> float:
        """Seconds the central side asked us to leave ``dependency`` alone (0 if not)."""
        return max(0.0, self._paused_until.get(dependency, 0.0) - time.monotonic())

    def _grow(self) -> None:
        step = 1.0 if self.slow_start else 1.0 / self.window()
        self.limit = min(float(self.ceiling), self.limit + step)
