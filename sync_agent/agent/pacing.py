"""How many deliveries the relay keeps in flight: additive increase, multiplicative decrease.

After an outage every kiosk of a library reconnects at once with its whole backlog. The central
side then answers slowly, times out, or sheds load with 503/429 and ``Retry-After``. That is
overload, not an outage: the answer is to send less, not to stop (see :mod:`sync_agent.central.breakers`).

The window starts at one delivery and grows by one with each success (doubling per round trip,
like TCP's slow start) up to ``relay_parallelism``. The first overload signal (a timeout, 5xx,
429, a dropped connection) halves it, and it then grows by one per window of successes (additive
increase). One burst of failures cuts it once: failures of deliveries sent before the last cut
do not cut again. A ``Retry-After`` pauses new deliveries to that dependency until it has passed,
stretched by a random 0-50 % so the fleet's kiosks do not all come back in the same second.

The window falls below one delivery. Fifty kiosks that each keep one delivery in flight queue
fifty requests at a central side that answers, say, 75 a second: each waits about 0.7 s, past the
610 ms call timeout, although every kiosk already sends the least it can. So a window ``w`` below
one means one delivery at a time with a pause after each answer of the last round trip times
``1/w - 1`` (drawn 50-150 %, so a fleet does not send in step): on average ``w`` deliveries in
flight, down to :data:`FLOOR`. Below one a success adds :data:`STEP_BELOW_ONE`, so the fleet's
total grows by a small fraction of its answers rather than by one delivery per kiosk at a time.
"""

from __future__ import annotations

import random
import time

from sync_agent.central.results import KIOSK_WIDE, Busy, BusyReason, InDoubt, Result

SPREAD = 0.5
"""A ``Retry-After`` pause is stretched by up to this fraction, drawn per pause; a pause between
sends (a window below one) is drawn within this fraction of its length either way."""
FLOOR = 1 / 4
"""The smallest window: one delivery, then a pause of about three round trips. Fifty kiosks at
the floor keep about twelve deliveries in flight together; a lower floor would stretch a
kiosk's pauses (and a streak of timeouts with them) to many seconds."""
STEP_BELOW_ONE = 1 / 16
"""What a success adds to a window below one."""
RTT_WEIGHT = 1 / 8
"""Weight of the newest round trip in the smoothed one (as TCP's SRTT)."""


class Pacer:
    """The relay's congestion window toward the central side (one per relay)."""

    def __init__(self, ceiling: int, rng: random.Random | None = None) -> None:
        self.ceiling = ceiling
        self.limit = 1.0
        """The window; below one it is the share of time a delivery is in flight."""
        self.slow_start = True
        self.cuts = 0
        """How many times overload halved the window (for the metrics)."""
        self.rtt_s: float | None = None
        """Smoothed seconds from sending a delivery to its outcome (a timeout included)."""
        self._last_cut = -1.0
        self._paused_until: dict[str, float] = {}
        self._rng = rng or random.Random()

    def window(self) -> int:
        """Deliveries that may be in flight now."""
        return max(1, int(self.limit))

    def observe(self, dependency: str, result: Result[object], sent_at: float) -> None:
        """Adjust the window to one delivery's result; ``sent_at``: ``time.monotonic()`` when it
        was sent."""
        if isinstance(result, Busy) and (result.reason is BusyReason.BREAKER_OPEN or
                                         result.reason in KIOSK_WIDE):
            return  # nothing was sent, or the answer is about the kiosk, not the load
        now = time.monotonic()
        rtt = now - sent_at
        self.rtt_s = rtt if self.rtt_s is None else self.rtt_s + RTT_WEIGHT * (rtt - self.rtt_s)
        if not isinstance(result, Busy | InDoubt):
            self._grow()
        else:
            if result.retry_after_s:
                self._pause(dependency, result.retry_after_s * (1 + self._rng.uniform(0, SPREAD)))
            if sent_at > self._last_cut:  # one cut per burst: later news of the same burst is stale
                self._last_cut = now
                self.slow_start = False
                self.cuts += 1
                self.limit = max(FLOOR, self.limit / 2)
        if self.limit < 1:
            spacing = self.rtt_s * (1 / self.limit - 1)
            self._pause(dependency, spacing * self._rng.uniform(1 - SPREAD, 1 + SPREAD))

    def paused_for(self, dependency: str) -> float:
        """Seconds before the next delivery to ``dependency``: a ``Retry-After`` the central side
        sent, or the pause of a window below one (0 if neither)."""
        return max(0.0, self._paused_until.get(dependency, 0.0) - time.monotonic())

    def _pause(self, dependency: str, seconds: float) -> None:
        until = time.monotonic() + seconds
        self._paused_until[dependency] = max(self._paused_until.get(dependency, 0.0), until)

    def _grow(self) -> None:
        if self.slow_start:
            step = 1.0
        elif self.limit < 1:
            step = STEP_BELOW_ONE
        else:
            step = 1.0 / self.window()
        self.limit = min(float(self.ceiling), self.limit + step)
