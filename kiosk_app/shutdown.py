"""The patron app's way out: on SIGTERM, on SIGHUP, or when its terminal goes away, the process
ends within a bounded time, whatever state Textual is in, and with the store closed.

Why this is needed: Textual writes to the terminal through a thread fed by a bounded queue (30
writes). When the terminal goes away, that thread dies on its first write (EIO), and the 31st
write after it blocks the event loop's thread in ``Queue.put`` for good, whether it comes from a
screen refresh or from Textual's own shutdown (``App._shutdown`` → ``LinuxDriver.disable_input``).
From then on nothing that needs the loop runs: an ``asyncio`` signal handler never fires, so
neither SIGHUP nor SIGTERM ended the app, and ``kiosk demo`` left its stand-in and agent running.

How it ends instead:

- **Signals** (SIGTERM, SIGHUP) are caught with plain :func:`signal.signal` handlers. Python runs
  them on the main thread as soon as it is interrupted, even in a blocked ``Queue.put`` (a lock
  wait), unlike ``loop.add_signal_handler``, which waits for the loop to turn.
- **A terminal that went away without a SIGHUP** (the app is not the terminal's controlling
  process, or the hang-up signal was ignored), where the only sign would be EIO on the next write:
  a watcher thread polls the terminal's file descriptors and sees the hang-up (POLLHUP) at once.
- Either one asks the app to exit (on its loop, should it still turn) and starts the **exit
  thread**. It waits up to :data:`GRACE_S` for the app to finish, then runs the registered clean-ups
  in order (the store closed; for ``kiosk demo`` the stand-in and the agent stopped), each within
  what is left of :data:`CLEANUP_S`, and ends the process with :func:`os._exit`: no interpreter
  shutdown that could wait for a stuck thread. The bound is ``GRACE_S + CLEANUP_S + FLUSH_S``
  (4.5 s). The exit thread is started with the guard and waits; a signal handler only sets events
  (starting a thread there could wait for a lock the interrupted main thread holds).
- A second signal does not wait out the grace (a SIGHUP after the hang-up was seen is the same
  event, not a second one). The exit status is 0 when the app finished within
  the grace and every clean-up completed, else 1.

Closing the store from the exit thread is safe: the store's lock lets a transaction in progress
finish first, and one that cannot (stuck past the clean-up budget) is simply not committed; SQLite
rolls it back at the next open. Everything a patron was told about was committed before being shown.

A normal exit (the technician's "exit kiosk", "quit demo") does not go through here: the app returns
and its caller closes what it opened, as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType, TracebackType
from typing import Any

log = logging.getLogger(__name__)

GRACE_S = 2.0
"""How long the app gets to end by itself once asked (Textual's own shutdown)."""
CLEANUP_S = 2.0
"""How long the clean-ups get, all of them together."""
SIGNALS = (signal.SIGTERM, signal.SIGHUP)
WATCH_EVERY_MS = 250
FLUSH_S = 0.5
_HANG_UP = select.POLLHUP | select.POLLERR | select.POLLNVAL


def terminal_fds() -> list[int]:
    """The standard streams that are terminals (what the app draws on and reads keys from)."""
    found = []
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                found.append(fd)
        except OSError:
            continue
    return found


class ExitGuard:
    """Ends the process within ``grace_s + cleanup_s`` once it is asked to stop (see the module).

    Used as a context manager around everything the process runs; the app runs through
    :meth:`run_app`. ``exit`` is :func:`os._exit` except in tests."""

    def __init__(self, *, grace_s: float = GRACE_S, cleanup_s: float = CLEANUP_S,
                 signals: Iterable[signal.Signals] = SIGNALS, watch: Iterable[int] | None = None,
                 exit: Callable[[int], Any] = os._exit) -> None:
        self.grace_s = grace_s
        self.cleanup_s = cleanup_s
        self.signals = tuple(signals)
        self.watch = terminal_fds() if watch is None else list(watch)
        self._exit = exit
        # Reentrant: the signal handler runs on the main thread, which may be holding it.
        self._lock = threading.RLock()
        self._cleanups: list[tuple[str, Callable[[], object]]] = []
        self._why: str | None = None
        self._requested = threading.Event()
        self._finished = threading.Event()
        self._proceed = threading.Event()
        self._closed = threading.Event()
        self._app_stop: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[signal.Signals, Any] = {}
        self._exit_thread: threading.Thread | None = None
        self._signals = 0

    # -- setting up --------------------------------------------------------------------------

    def __enter__(self) -> ExitGuard:
        return self.install()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.uninstall()

    def install(self) -> ExitGuard:
        """Catch the signals (from the main thread) and start watching the terminal."""
        self._exit_thread = threading.Thread(target=self._exit_when_stopped, name="kiosk-exit",
                                             daemon=True)
        self._exit_thread.start()
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._on_signal)
        if self.watch:
            threading.Thread(target=self._watch_terminal, name="kiosk-terminal-watch",
                             daemon=True).start()
        return self

    def uninstall(self) -> None:
        """Give the signals back and stop watching (a normal exit)."""
        self._closed.set()
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
        if self._why is None:
            self._requested.set()  # the idle exit thread sees no stop and ends

    def cleanup(self, name: str, action: Callable[[], object]) -> None:
        """Run ``action`` on the way out after a stop (in registration order)."""
        with self._lock:
            self._cleanups.append((name, action))

    # -- the app -----------------------------------------------------------------------------

    async def run_app(self, app: Any, stop: Callable[[], None]) -> Any:
        """``await app.run_async()``, asking it to ``stop()`` on a stop request. When the app
        returns after a stop, this never returns: the exit thread ends the process."""
        self.attach(stop, asyncio.get_running_loop())
        try:
            return await app.run_async()
        finally:
            self.detach()
            self.app_finished()

    def attach(self, stop: Callable[[], None], loop: asyncio.AbstractEventLoop) -> None:
        """The app to ask, and its loop; asked at once if a stop came before it started."""
        with self._lock:
            self._app_stop, self._loop = stop, loop
            stopping = self._why is not None
        if stopping:
            self._ask_app()

    def detach(self) -> None:
        with self._lock:
            self._app_stop, self._loop = None, None

    def app_finished(self) -> None:
        """The app has returned. After a stop the exit thread now cleans up and ends the process;
        this waits for it (and so never returns)."""
        self._finished.set()
        self._proceed.set()
        if self._why is not None and self._exit_thread is not None:
            self._exit_thread.join()

    # -- stopping ----------------------------------------------------------------------------

    @property
    def stopping(self) -> str | None:
        """Why the process is stopping, None while it is not."""
        return self._why

    def stop(self, why: str, *, hurry: bool = False) -> None:
        """Ask the app to exit and end the process within the bound. Safe from any thread and from
        a signal handler. Once stopping, a request only matters with ``hurry`` (a second signal):
        it cuts the grace short."""
        with self._lock:
            again = self._why is not None
            if not again:
                self._why = why
        if again:
            if hurry:
                log.warning("stopping again (%s): not waiting for the app any longer", why)
                self._proceed.set()
            return
        log.warning("stopping (%s): the process ends within %.1f s", why,
                    self.grace_s + self.cleanup_s + FLUSH_S)
        self._requested.set()
        self._ask_app()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # The terminal's hang-up is often seen twice (POLLHUP, then SIGHUP): that is one request.
        # A second *signal* is someone insisting.
        self._signals += 1
        self.stop(f"signal {signal.Signals(signum).name}", hurry=self._signals > 1)

    def _ask_app(self) -> None:
        with self._lock:
            stop, loop = self._app_stop, self._loop
        if stop is None or loop is None:
            return
        try:
            loop.call_soon_threadsafe(stop)
        except RuntimeError:  # the loop has closed: the app is gone already
            pass

    def _watch_terminal(self) -> None:
        poller = select.poll()
        for fd in self.watch:
            poller.register(fd, 0)  # no events asked for: only hang-up, error and closed are told
        while not self._closed.is_set() and self._why is None:
            try:
                events = poller.poll(WATCH_EVERY_MS)
            except OSError:
                continue
            if any(mask & _HANG_UP for _fd, mask in events):
                self.stop("the terminal went away")
                return

    def _exit_when_stopped(self) -> None:
        self._requested.wait()
        if self._why is None:
            return  # uninstalled: a normal exit
        self._proceed.wait(self.grace_s)
        finished = self._finished.is_set()
        if not finished:
            log.error("the app did not end within %.1f s of the stop: ending the process", self.grace_s)
        clean = self._run_cleanups()
        flushing = threading.Thread(target=_flush_logs, name="kiosk-exit-flush", daemon=True)
        flushing.start()
        flushing.join(FLUSH_S)
        self._exit(0 if finished and clean else 1)  # returns only with a test's exit function

    def _run_cleanups(self) -> bool:
        """Each clean-up in a thread of its own, waited for within what is left of the budget."""
        deadline = time.monotonic() + self.cleanup_s
        with self._lock:
            cleanups = list(self._cleanups)
        clean = True
        for name, action in cleanups:
            done = threading.Event()
            failed: list[BaseException] = []

            def run(action: Callable[[], object] = action, done: threading.Event = done,
                    failed: list[BaseException] = failed) -> None:
                try:
                    action()
                except BaseException as exc:  # noqa: BLE001 - reported below, never raised here
                    failed.append(exc)
                finally:
                    done.set()

            threading.Thread(target=run, name=f"kiosk-exit-{name}", daemon=True).start()
            if not done.wait(max(0.0, deadline - time.monotonic())):
                log.error("clean-up %r did not finish in time: leaving it", name)
                clean = False
            elif failed:
                log.error("clean-up %r failed: %s", name, failed[0])
                clean = False
        return clean


def _flush_logs() -> None:
    """What the log handlers and the standard streams hold, written before ``os._exit``."""
    for handler in logging.getLogger().handlers:
        try:
            handler.flush()
        except Exception:  # noqa: BLE001 - a dead terminal or socket must not stop the exit
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: BLE001 - a closed standard stream must not stop the exit
            pass
