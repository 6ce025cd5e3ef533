"""One circuit breaker per central dependency, so one overloaded service cannot stall the others.

A breaker is for an *outage*, not for *overload*. Fifty kiosks reconnecting after an outage make
the central side slow: timeouts, 503 and 429 then mean "send less", which the relay's pacing
(:mod:`sync_agent.agent.pacing`) answers by shrinking its concurrency. Opening the breaker on them would
make every kiosk wait a whole reset period while the central side has capacity to spare. So:

- a refused connection (nothing listens: the central side is dead or unreachable) counts at once:
  ``breaker_failure_threshold`` of them in a row open the breaker;
- any other failure (timeout, 5xx, 429, an unreadable answer) counts only when it is *sustained*:
  the breaker opens once the threshold is reached and the failures have gone on, without a single
  success in between, for ``breaker_sustained_s``;
- an answer of any kind from the service (a 2xx, a business refusal, a 404) is a success.

Open → half-open after the reset time, drawn between half and all of ``breaker_reset_s`` for each
opening so a fleet that lost the central side together does not come back in one wave. Half-open
lets exactly one trial call through; every other call meanwhile answers :class:`BreakerOpen` at
once, on the patron path too. The trial's success closes the breaker, its failure (of any kind)
opens it again; a trial that ends without an outcome (cancelled) lets the next call be the trial.

Written for this project rather than taken from pybreaker: pybreaker has no outcome that is
neither success nor failure (an excluded error counts as a success, which would close a half-open
breaker on a timeout) and lets concurrent calls through as trials in its half-open state.

Each state change is reported to whoever the process's composition root names with
:meth:`Breakers.report_to` (the app and the agent name
:func:`sync_agent.store.status.breaker_recorder`, which writes the ``breakers`` table for
``kiosk-sync status``, the technician screen and the metrics); the breakers know no store, so the
adapters that call through them know none either. Breakers live in process memory: the app and the
agent each judge the central side by their own calls.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from sync_agent.central.results import Busy, BusyReason, InDoubt, Result, is_kiosk_wide
from sync_agent.settings import Settings

log = logging.getLogger(__name__)

DEPENDENCIES = ("lending", "payment", "returns", "views", "catalog")
"""lending: members, self-rent, offline rents and cancels; payment: reserve (pays); returns: the
return relay; views: MyPage; catalog: book lookups and deltas."""

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

Report = Callable[[str, str, int, float | None], None]
"""Told of a breaker's state: ``(name, state, failures, opened_at)``, ``opened_at`` the wall-clock
time of the opening while not closed, else None."""
RESET_JITTER = (0.5, 1.0)
"""An opening waits ``breaker_reset_s`` times a factor drawn from this range."""


class BreakerOpen(Exception):
    """The dependency's breaker is open (or its one trial is under way): the call was not made."""

    def __init__(self, name: str, retry_after_s: float) -> None:
        super().__init__(f"{name} breaker open, trial in {retry_after_s:.1f}s")
        self.name = name
        self.retry_after_s = retry_after_s


class Breaker:
    """One dependency's breaker; ``on_change(breaker)`` is told of every state change."""

    def __init__(self, name: str, settings: Settings, on_change: Callable[[Breaker], None],
                 rng: random.Random) -> None:
        self.name = name
        self.fail_max = settings.breaker_failure_threshold
        self.reset_timeout = settings.breaker_reset_s
        self.sustained_s = settings.breaker_sustained_s
        self.current_state = CLOSED
        self.fail_counter = 0
        self.opened_at: float | None = None
        """Wall-clock time of the last opening (for the store and the technician)."""
        self._on_change = on_change
        self._rng = rng
        self._trial_at = 0.0  # monotonic: when an open breaker lets its trial through
        self._streak_since: float | None = None  # monotonic: first failure since the last success
        self._trial_running = False

    def retry_after(self) -> float:
        """Seconds until a trial call may go (0 when closed, or open and due)."""
        if self.current_state != OPEN:
            return 0.0
        return max(0.0, self._trial_at - time.monotonic())

    def admit(self) -> bool:
        """Let a call through (True if it is the trial) or raise :class:`BreakerOpen`."""
        if self.current_state == CLOSED:
            return False
        if self.current_state == OPEN and self.retry_after() == 0:
            self._set(HALF_OPEN)
        if self.current_state == HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        raise BreakerOpen(self.name, self.retry_after())

    def success(self) -> None:
        self._streak_since = None
        self.fail_counter = 0
        self._trial_running = False
        if self.current_state != CLOSED:
            self._set(CLOSED)

    def failure(self, *, refused: bool) -> None:
        """A call failed; ``refused``: no connection could be made (nothing listens)."""
        now = time.monotonic()
        if self.current_state == HALF_OPEN:
            self.open()
            return
        self._streak_since = self._streak_since if self._streak_since is not None else now
        self.fail_counter += 1
        sustained = now - self._streak_since >= self.sustained_s
        if self.fail_counter >= self.fail_max and (refused or sustained):
            self.open()

    def abandon(self) -> None:
        """The call ended without an outcome (cancelled): the next call may be the trial."""
        self._trial_running = False

    def open(self) -> None:
        self._trial_running = False
        self._streak_since = None
        self._trial_at = time.monotonic() + self.reset_timeout * self._rng.uniform(*RESET_JITTER)
        self.opened_at = time.time()
        self._set(OPEN)

    def close(self) -> None:
        """Close by hand (technician)."""
        self.success()

    def _set(self, state: str) -> None:
        old, self.current_state = self.current_state, state
        if old != state or state == OPEN:
            log.warning("breaker %s: %s -> %s", self.name, old, state)
            self._on_change(self)


class Call:
    """One call through a breaker, as :meth:`Breakers.guard` hands it to the caller."""

    def __init__(self, breaker: Breaker) -> None:
        self.breaker = breaker
        self.reported = False

    def failed(self, *, refused: bool) -> None:
        """The central side did not answer; ``refused``: no connection could be made."""
        self.reported = True
        self.breaker.failure(refused=refused)


class Breakers:
    """The breakers of one process, by dependency name."""

    def __init__(self, settings: Settings, names: tuple[str, ...] = DEPENDENCIES,
                 rng: random.Random | None = None) -> None:
        self._reports: list[Report] = []
        rng = rng or random.Random()
        self._breakers = {name: Breaker(name, settings, self._report, rng) for name in names}

    def report_to(self, report: Report) -> None:
        """Tell ``report`` every breaker's state now and each change from now on."""
        self._reports.append(report)
        for breaker in self._breakers.values():
            self._tell(report, breaker)

    def __getitem__(self, name: str) -> Breaker:
        return self._breakers[name]

    def states(self) -> dict[str, str]:
        """``{"returns": "open", ...}`` (an open breaker whose wait is over still says open until
        the next call tries it)."""
        return {name: breaker.current_state for name, breaker in self._breakers.items()}

    def retry_after(self, name: str) -> float:
        """Seconds until an open breaker lets a trial call through (0 if not open)."""
        return self._breakers[name].retry_after()

    def is_open(self, name: str) -> bool:
        """Open and still waiting: a call now would be refused."""
        return self.retry_after(name) > 0

    def reset(self, name: str) -> None:
        """Close a breaker by hand (technician)."""
        self._breakers[name].close()

    @contextlib.contextmanager
    def guard(self, name: str) -> Iterator[Call]:
        """Run one call through the breaker: raises :class:`BreakerOpen` at once if it may not go.

        The block reports a failure with ``call.failed(refused=...)``; leaving it normally without
        one is a success; an exception leaving it (cancellation) is no outcome."""
        breaker = self._breakers[name]
        breaker.admit()
        call = Call(breaker)
        try:
            yield call
        except BaseException:
            breaker.abandon()
            raise
        if not call.reported:
            breaker.success()

    def _report(self, breaker: Breaker) -> None:
        for report in self._reports:
            self._tell(report, breaker)

    @staticmethod
    def _tell(report: Report, breaker: Breaker) -> None:
        opened = breaker.opened_at if breaker.current_state != CLOSED else None
        report(breaker.name, breaker.current_state, breaker.fail_counter, opened)


T = TypeVar("T")


async def through(breakers: Breakers, dependency: str, ask: Callable[[], Awaitable[Result[T]]]) -> Result[T]:
    """One call of any adapter through ``dependency``'s breaker: an open breaker is Busy at once;
    Busy and InDoubt answers count as failures (a refused connection opens it at once)."""
    try:
        with breakers.guard(dependency) as call:
            result = await ask()
            if isinstance(result, Busy | InDoubt) and not is_kiosk_wide(result):  # those are answers
                call.failed(refused=isinstance(result, Busy) and result.reason is BusyReason.UNREACHABLE)
            return result
    except BreakerOpen as exc:
        return Busy(dependency, exc.retry_after_s, BusyReason.BREAKER_OPEN)
