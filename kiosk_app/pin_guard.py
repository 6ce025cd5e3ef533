"""Wrong technician PINs and the locks they earn, kept in the store.

Kept on disk (the ``tech_pin_lock`` table, one row, owned by this module) so that a power cycle, a
SysRq reboot or a crash loop does not hand a patron a fresh set of tries. Five wrong PINs in a row
lock the pad for five minutes; each further lock before the right PIN is entered lasts twice as
long as the one before, up to an hour, so guessing a 6-digit PIN would take years. Each wrong PIN,
each try refused while locked and each lock is logged, never the PIN itself.

Locks are timed by the wall clock, which survives a reboot (a monotonic clock restarts at zero);
a clock set back is not allowed to stretch a lock beyond its length.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk_app.techpin import MIN_DIGITS, verify_pin
from sync_agent.store.database import Store

log = logging.getLogger(__name__)

MAX_TRIES = 5
FIRST_LOCK_S = 300.0
MAX_LOCK_S = 3600.0


def lock_length_s(lockouts: int) -> float:
    """How long lock number ``lockouts`` (1 for the first since the right PIN) lasts."""
    return min(FIRST_LOCK_S * 2 ** (lockouts - 1), MAX_LOCK_S)


@dataclass(frozen=True)
class PinState:
    wrong: int = 0
    """Wrong PINs in a row since the last lock or the last right PIN."""
    lockouts: int = 0
    """Locks since the last right PIN."""
    locked_at: float | None = None
    lock_s: float = 0.0


class PinGuard:
    """Judges technician PINs against the configured hash, refusing them while locked."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def state(self) -> PinState:
        rows = self.store.rows("SELECT wrong, lockouts, locked_at, lock_s FROM tech_pin_lock")
        return PinState(**rows[0]) if rows else PinState()

    def _save(self, state: PinState) -> None:
        with self.store.write() as conn:
            conn.execute("INSERT INTO tech_pin_lock (id, wrong, lockouts, locked_at, lock_s) "
                         "VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET wrong = excluded.wrong, "
                         "lockouts = excluded.lockouts, locked_at = excluded.locked_at, "
                         "lock_s = excluded.lock_s",
                         (state.wrong, state.lockouts, state.locked_at, state.lock_s))

    def remaining_lock_s(self) -> float:
        """Seconds until the pad takes PINs again (0 when it does)."""
        state = self.state()
        if state.locked_at is None:
            return 0.0
        now = self.clock()
        if now < state.locked_at:  # the clock was set back: the lock runs from now, not longer
            self._save(PinState(state.wrong, state.lockouts, now, state.lock_s))
            return state.lock_s
        return max(0.0, state.locked_at + state.lock_s - now)

    def tries_left(self) -> int:
        return MAX_TRIES - self.state().wrong

    def attempt(self, pin: str, encoded: str | None) -> bool:
        """Check ``pin`` unless locked (blocking: scrypt and SQLite, run it in a thread). The right
        PIN clears every count; a wrong one is counted and may lock the pad."""
        remaining = self.remaining_lock_s()
        if remaining > 0:
            log.warning("technician PIN refused unchecked: the pad is locked for %.0f s more", remaining)
            return False
        state = self.state()
        if verify_pin(pin, encoded):
            self._save(PinState())
            if len(pin) < MIN_DIGITS:
                log.warning("the technician PIN has fewer than %d digits: set a new one with "
                            "`kiosk tech-pin`", MIN_DIGITS)
            return True
        wrong = state.wrong + 1
        if wrong < MAX_TRIES:
            log.warning("wrong technician PIN: %d of %d tries before a lock", wrong, MAX_TRIES)
            self._save(PinState(wrong, state.lockouts, state.locked_at, state.lock_s))
            return False
        lockouts = state.lockouts + 1
        length = lock_length_s(lockouts)
        log.warning("wrong technician PIN: %d wrong in a row, the pad is locked for %.0f s "
                    "(lock %d since the last right PIN)", wrong, length, lockouts)
        self._save(PinState(0, lockouts, self.clock(), length))
        return False
