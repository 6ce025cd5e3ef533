"""One circuit breaker per central dependency, so one overloaded service cannot stall the others.

The breakers are pybreaker's (closed → open after ``breaker_failure_threshold`` consecutive
failures → half-open after ``breaker_reset_s`` → closed on a successful trial call, open again on a
failed one). pybreaker's ``calling()`` context manager wraps an ``await`` without holding its lock
across it, which makes it usable from asyncio. An open breaker refuses before any I/O, so the answer
is immediate. Each state change is written to the store (table ``breakers``, one row per breaker and
process) for ``kiosk-sync status`` and the technician screen; a failed status write is logged and
never breaks a call.

Breakers live in process memory: the app and the agent each judge the central side by their own
calls. In half-open state pybreaker lets concurrent calls through as trials; the first outcome
decides.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pybreaker

from sync_agent.settings import Settings
from sync_agent.status import record_breaker
from sync_agent.store import Store, StoreError

log = logging.getLogger(__name__)

DEPENDENCIES = ("lending", "payment", "returns", "views", "catalog")
"""lending: members, self-rent, offline rents and cancels; payment: reserve (pays); returns: the
return relay; views: MyPage; catalog: book lookups and deltas."""


class BreakerOpen(Exception):
    """The dependency's breaker is open: the call was not made."""

    def __init__(self, name: str, retry_after_s: float) -> None:
        super().__init__(f"{name} breaker open, trial in {retry_after_s:.1f}s")
        self.name = name
        self.retry_after_s = retry_after_s


class _StoreListener(pybreaker.CircuitBreakerListener):
    def __init__(self, store: Store, owner: str) -> None:
        self.store = store
        self.owner = owner

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: pybreaker.CircuitBreakerState | None,
                     new_state: pybreaker.CircuitBreakerState) -> None:
        if old_state is not None and old_state.name == new_state.name:
            return  # pybreaker re-enters "open" when late calls of the same burst fail
        log.warning("breaker %s: %s -> %s", cb.name, old_state.name if old_state else "-", new_state.name)
        self.write(cb, new_state.name)

    def write(self, cb: pybreaker.CircuitBreaker, state: str) -> None:
        opened = cb._state_storage.opened_at if state != "closed" else None  # noqa: SLF001
        try:
            record_breaker(self.store, cb.name or "?", self.owner, state, cb.fail_counter,
                           opened.timestamp() if opened else None)
        except StoreError as exc:
            log.error("breaker %s: state not recorded: %s", cb.name, exc)


class Breakers:
    """The breakers of one process, by dependency name."""

    def __init__(self, settings: Settings, store: Store | None = None, owner: str = "app",
                 names: tuple[str, ...] = DEPENDENCIES) -> None:
        self._listener = _StoreListener(store, owner) if store is not None else None
        listeners = [self._listener] if self._listener else []
        self._breakers = {
            name: pybreaker.CircuitBreaker(
                fail_max=settings.breaker_failure_threshold, reset_timeout=settings.breaker_reset_s,
                name=name, listeners=listeners, throw_new_error_on_trip=False)
            for name in names}
        if self._listener:
            for breaker in self._breakers.values():
                self._listener.write(breaker, breaker.current_state)

    def __getitem__(self, name: str) -> pybreaker.CircuitBreaker:
        return self._breakers[name]

    def states(self) -> dict[str, str]:
        """``{"returns": "open", ...}`` (an open breaker whose wait is over still says open until
        the next call tries it)."""
        return {name: breaker.current_state for name, breaker in self._breakers.items()}

    def retry_after(self, name: str) -> float:
        """Seconds until an open breaker lets a trial call through (0 if not open)."""
        breaker = self._breakers[name]
        opened = breaker._state_storage.opened_at  # noqa: SLF001 - pybreaker keeps it there
        if breaker.current_state != pybreaker.STATE_OPEN or opened is None:
            return 0.0
        elapsed = (datetime.now(UTC) - opened).total_seconds()
        return max(0.0, breaker.reset_timeout - elapsed)

    def is_open(self, name: str) -> bool:
        """Open and still waiting: a call now would be refused."""
        return self.retry_after(name) > 0

    def reset(self, name: str) -> None:
        """Close a breaker by hand (technician)."""
        self._breakers[name].close()

    @contextlib.contextmanager
    def guard(self, name: str) -> Iterator[None]:
        """Run the block through the breaker: raises :class:`BreakerOpen` at once if it is open;
        an exception escaping the block counts as a failure, a normal exit as a success."""
        try:
            with self._breakers[name].calling():
                yield
        except pybreaker.CircuitBreakerError:
            raise BreakerOpen(name, self.retry_after(name)) from None
