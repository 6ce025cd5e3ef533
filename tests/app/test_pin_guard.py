"""The technician PIN's tries and locks on a real store on disk: they survive a restart, the locks
grow, a clock set back cannot stretch them, and the log tells of every wrong PIN without the PIN."""

import logging

import pytest

from kiosk_app.pin_guard import FIRST_LOCK_S, MAX_LOCK_S, MAX_TRIES, PinGuard, lock_length_s
from kiosk_app.techpin import hash_pin
from sync_agent.store.database import Store

PIN = "482193"
WRONG = "907165"


@pytest.fixture(scope="module")
def encoded():
    return hash_pin(PIN)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def lock_out(guard: PinGuard, encoded: str) -> None:
    for _ in range(MAX_TRIES):
        assert not guard.attempt(WRONG, encoded)


def test_five_wrong_tries_lock_the_pad(tmp_path, encoded):
    clock = Clock()
    guard = PinGuard(Store.open(tmp_path / "kiosk.sqlite3"), clock)
    for left in range(MAX_TRIES, 1, -1):
        assert guard.tries_left() == left
        assert not guard.attempt(WRONG, encoded)
    assert guard.remaining_lock_s() == 0
    assert not guard.attempt(WRONG, encoded)
    assert guard.remaining_lock_s() == FIRST_LOCK_S
    assert not guard.attempt(PIN, encoded), "the right PIN is refused while locked"
    clock.now += FIRST_LOCK_S
    assert guard.attempt(PIN, encoded)
    assert guard.state().lockouts == 0 and guard.tries_left() == MAX_TRIES


def test_a_restart_during_a_lock_keeps_it(tmp_path, encoded):
    path = tmp_path / "kiosk.sqlite3"
    clock = Clock()
    store = Store.open(path)
    lock_out(PinGuard(store, clock), encoded)
    store.close()

    clock.now += 60  # the kiosk power-cycled, a minute passed
    again = PinGuard(Store.open(path), clock)
    assert again.remaining_lock_s() == FIRST_LOCK_S - 60
    assert not again.attempt(PIN, encoded)


def test_wrong_tries_survive_a_restart_too(tmp_path, encoded):
    path = tmp_path / "kiosk.sqlite3"
    store = Store.open(path)
    for _ in range(MAX_TRIES - 1):
        PinGuard(store).attempt(WRONG, encoded)
    store.close()
    again = PinGuard(Store.open(path))
    assert again.tries_left() == 1
    assert not again.attempt(WRONG, encoded)
    assert again.remaining_lock_s() > 0


def test_each_further_lock_lasts_twice_as_long_up_to_an_hour(tmp_path, encoded):
    clock = Clock()
    guard = PinGuard(Store.open(tmp_path / "kiosk.sqlite3"), clock)
    lengths = []
    for _ in range(7):
        lock_out(guard, encoded)
        lengths.append(guard.remaining_lock_s())
        clock.now += lengths[-1]
    assert lengths == [300, 600, 1200, 2400, 3600, 3600, 3600]
    assert lengths == [lock_length_s(n) for n in range(1, 8)] and max(lengths) == MAX_LOCK_S
    assert guard.attempt(PIN, encoded)
    lock_out(guard, encoded)
    assert guard.remaining_lock_s() == FIRST_LOCK_S, "the right PIN starts the ladder again"


def test_a_clock_set_back_does_not_stretch_a_lock(tmp_path, encoded):
    clock = Clock()
    guard = PinGuard(Store.open(tmp_path / "kiosk.sqlite3"), clock)
    lock_out(guard, encoded)
    clock.now -= 86400
    assert guard.remaining_lock_s() == FIRST_LOCK_S
    clock.now += FIRST_LOCK_S
    assert guard.remaining_lock_s() == 0


def test_wrong_pins_and_locks_are_logged_without_the_pin(tmp_path, encoded, caplog):
    clock = Clock()
    guard = PinGuard(Store.open(tmp_path / "kiosk.sqlite3"), clock)
    with caplog.at_level(logging.INFO):
        lock_out(guard, encoded)
        guard.attempt(PIN, encoded)  # while locked
    lines = [record.getMessage() for record in caplog.records]
    assert sum("wrong technician PIN" in line for line in lines) == MAX_TRIES
    assert sum("locked for 300 s (lock 1 " in line for line in lines) == 1
    assert sum("refused unchecked" in line for line in lines) == 1
    for line in lines:
        assert WRONG not in line and PIN not in line, line
        assert not any(WRONG[i:i + 3] in line for i in range(len(WRONG) - 2)), line
