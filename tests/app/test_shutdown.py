"""The app's bounded exit (kiosk_app.shutdown.ExitGuard) with a recorded exit instead of os._exit:
a signal reaches it even while the main thread is stuck in a full queue (the Textual hang), the
app is asked first and given a grace, clean-ups run in order within their budget, and a hang-up on
the terminal counts as a stop."""

from __future__ import annotations

import asyncio
import os
import pty
import queue
import signal
import threading
import time

import pytest

from kiosk_app.shutdown import ExitGuard
from kiosk_testing.waiting import wait_until


class Exits:
    """Stands in for os._exit: records the status and when, and wakes whoever waits for it."""

    def __init__(self, then=None) -> None:
        self.codes: list[int] = []
        self.at: float | None = None
        self.done = threading.Event()
        self.then = then

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.at = time.monotonic()
        self.done.set()
        if self.then:
            self.then()


class App:
    """An app that ends when asked (or never, with ``obey=False``)."""

    def __init__(self, obey: bool = True) -> None:
        self.obey = obey
        self.asked = asyncio.Event()

    def stop(self) -> None:
        self.asked.set()

    async def run_async(self) -> str:
        await self.asked.wait()
        if not self.obey:
            await asyncio.Event().wait()
        return "ended"


@pytest.fixture
def guard_factory():
    made: list[ExitGuard] = []

    def make(**options) -> ExitGuard:
        options.setdefault("watch", [])
        guard = ExitGuard(**options).install()
        made.append(guard)
        return guard

    yield make
    for guard in made:
        guard.uninstall()


async def test_sigterm_asks_the_app_and_ends_the_process_once_it_has_ended(guard_factory) -> None:
    exits = Exits()
    guard = guard_factory(grace_s=3.0, cleanup_s=1.0, exit=exits)
    order: list[str] = []
    guard.cleanup("store", lambda: order.append("store"))
    guard.cleanup("children", lambda: order.append("children"))
    app = App()
    asyncio.get_running_loop().call_later(0.1, os.kill, os.getpid(), signal.SIGTERM)
    started = time.monotonic()
    await guard.run_app(app, app.stop)  # returns here only because the exit is a recording
    assert app.asked.is_set() and guard.stopping == "signal SIGTERM"
    assert exits.codes == [0] and order == ["store", "children"]
    assert exits.at - started < 1.0, "no grace waited out: the app had ended"


def test_a_signal_ends_a_main_thread_stuck_in_a_full_queue(guard_factory) -> None:
    """What Textual's shutdown did: the main thread blocked in Queue.put of a dead writer thread.
    A plain signal handler still runs there; after the grace the process ends with status 1."""
    stuck: queue.Queue[str] = queue.Queue(1)
    stuck.put("the first write after the terminal went away")
    exits = Exits(then=stuck.get)  # the recording exit frees the main thread (os._exit ends it)
    guard = guard_factory(grace_s=0.5, cleanup_s=0.5, exit=exits)
    closed: list[bool] = []
    guard.cleanup("store", lambda: closed.append(True))
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    stuck.put("a write that never gets through")  # blocks the main thread, as in the hang
    assert exits.codes == [1], "the app never ended: not a clean exit"
    assert closed == [True]
    assert 0.6 <= exits.at - started < 1.5


def test_a_stuck_clean_up_does_not_hold_the_exit_past_its_budget(guard_factory) -> None:
    exits = Exits()
    guard = guard_factory(grace_s=0.1, cleanup_s=0.5, exit=exits)
    later: list[str] = []
    guard.cleanup("stuck", threading.Event().wait)
    guard.cleanup("later", lambda: later.append("ran"))
    started = time.monotonic()
    guard.stop("test")
    assert exits.done.wait(3)
    assert exits.codes == [1] and 0.5 <= exits.at - started < 1.0
    wait_until(lambda: later == ["ran"], 3, "later clean-ups are still started")


def test_a_second_signal_does_not_wait_out_the_grace(guard_factory) -> None:
    exits = Exits()
    guard_factory(grace_s=30.0, cleanup_s=0.5, exit=exits)
    started = time.monotonic()
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)
    assert not exits.done.is_set(), "the app gets its grace"
    os.kill(os.getpid(), signal.SIGTERM)
    assert exits.done.wait(2) and exits.at - started < 1.0


def test_a_hang_up_after_the_terminal_was_seen_gone_is_not_a_second_request(guard_factory) -> None:
    exits = Exits()
    guard = guard_factory(grace_s=0.6, cleanup_s=0.2, exit=exits)
    guard.stop("the terminal went away")
    os.kill(os.getpid(), signal.SIGHUP)
    time.sleep(0.3)
    assert not exits.done.is_set(), "the grace still runs"
    assert exits.done.wait(2)


def test_a_terminal_that_hangs_up_stops_like_a_sighup(guard_factory) -> None:
    master, slave = pty.openpty()
    exits = Exits()
    try:
        guard = guard_factory(grace_s=0.2, cleanup_s=0.2, exit=exits, watch=[slave])
        time.sleep(0.3)
        assert guard.stopping is None, "a live terminal is no reason to stop"
        os.close(master)  # the terminal window is closed
        assert exits.done.wait(3)
        assert guard.stopping == "the terminal went away"
    finally:
        os.close(slave)


async def test_a_normal_exit_ends_nothing_and_gives_the_signals_back(guard_factory) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    exits = Exits()
    guard = guard_factory(exit=exits)
    assert signal.getsignal(signal.SIGTERM) is not previous
    app = App()
    app.stop()  # the technician's "exit kiosk": the app ends by itself
    assert await guard.run_app(app, app.stop) == "ended"
    guard.uninstall()
    assert signal.getsignal(signal.SIGTERM) is previous
    time.sleep(0.1)
    assert exits.codes == [] and guard.stopping is None


async def test_a_stop_before_the_app_started_asks_it_as_soon_as_it_runs(guard_factory) -> None:
    exits = Exits()
    guard = guard_factory(grace_s=3.0, cleanup_s=0.5, exit=exits)
    guard.stop("signal SIGTERM")
    app = App()
    await guard.run_app(app, app.stop)
    assert app.asked.is_set() and exits.codes == [0]
