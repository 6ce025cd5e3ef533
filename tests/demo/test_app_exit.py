"""The real patron app (`kiosk run`, `kiosk demo`) ends, cleanly and within a bound, when its
terminal goes away or on SIGTERM, and leaves no process behind.

The terminal here is a pty that is *not* the app's controlling terminal (the app runs in a session
of its own), so closing it sends no SIGHUP: the app only finds out by its writes failing with EIO
(and the hang-up on its file descriptors). That is the case where it used to hang for good in
Textual's output queue. The tmux tests in test_demo_command.py close a real controlling terminal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_testing.waiting import wait_until
from tests.fake_systemd import FakeSystemd

KIOSK = str(Path(sys.executable).parent / "kiosk")


def running(pattern: str) -> list[str]:
    """Command lines of the processes whose command line contains ``pattern``."""
    found = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if "pgrep" not in line]


@contextlib.contextmanager
def leaves_nothing(folder: Path) -> Iterator[None]:
    """Whatever happens in the test, end the processes it started (found by their unique folder):
    a failing test must not leave a stand-in or an agent behind."""
    try:
        yield
    finally:
        for line in running(str(folder)):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(line.split()[0]), signal.SIGKILL)


class Terminal:
    """A pty with the app on its other side; reads (and keeps) what the app draws until told to
    stop reading, and closes like a terminal window when :meth:`close` is called."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = (140, 40)) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True)  # no controlling terminal: no SIGHUP
        os.close(slave)
        self.output = bytearray()
        self.reading = True
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closed:
            if not self.reading:
                time.sleep(0.05)
                continue
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if ready:
                    self.output += os.read(self.master, 65536)
            except (OSError, ValueError):
                return

    def shows(self, text: str) -> bool:
        return text.encode() in self.output

    def close(self) -> None:
        self._closed = True
        self._reader.join(2)
        with contextlib.suppress(OSError):
            os.close(self.master)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextlib.contextmanager
def terminal(argv: list[str], env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal(argv, env)
    try:
        yield term
    finally:
        term.kill()
        term.close()


def app_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("KIOSK_", "NOTIFY_SOCKET", "WATCHDOG_"))}
    env.pop("TEXTUAL_DRIVER", None)
    for size in ("COLUMNS", "LINES"):  # a test runner may export them; the size is the pty's
        env.pop(size, None)
    return {**env, "TERM": "xterm-256color", **extra}


def run_config(folder: Path, api_url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    path.write_text(f'data_dir = "{folder / "data"}"\napi_url = "{api_url}"\n')
    return path


def test_kiosk_demo_ends_with_its_stand_in_and_agent_when_the_terminal_goes_away(tmp_path: Path) -> None:
    folder, temp = tmp_path / "demo", tmp_path / "tmp"
    temp.mkdir()
    with leaves_nothing(folder), terminal([KIOSK, "demo", "--dir", str(folder)], app_env(TMPDIR=str(temp))) as term:
        wait_until(lambda: term.shows("outbox: 0 pending"), 60, "the demo on screen")
        assert len(running(str(folder))) == 3, running(str(folder))  # app, agent, stand-in
        term.close()  # the terminal window is closed: EIO on every write, no SIGHUP
        closed = time.monotonic()
        wait_until(lambda: not running(str(folder)), 10, "no process of the demo left")
        took = time.monotonic() - closed
    assert term.process.returncode is not None
    assert not (folder / "kiosk" / "kiosk.sqlite3-wal").exists(), "the app's store was closed"
    assert list(temp.iterdir()) == [], "the simulated scanner's link and folder are removed"
    log = (folder / "kiosk" / "kiosk-app.log").read_text()
    assert "stopping (the terminal went away)" in log, f"{took:.1f} s\n{log[-2000:]}"


def test_kiosk_run_ends_when_the_terminal_goes_away(tmp_path: Path, central) -> None:
    folder = tmp_path / "kiosk"
    config = run_config(folder, central.url)
    with terminal([KIOSK, "--config", str(config), "run"], app_env()) as term:
        wait_until(lambda: (folder / "data" / "kiosk.sqlite3").exists() and len(term.output) > 2000,
                   30, "the patron screen drawn")
        time.sleep(0.5)
        term.close()
        wait_until(lambda: term.process.poll() is not None, 10, "kiosk run ended")
    assert not running(str(config))
    assert not (folder / "data" / "kiosk.sqlite3-wal").exists(), "the store was closed"
    assert "stopping (the terminal went away)" in (folder / "data" / "kiosk-app.log").read_text()


def test_sigterm_ends_kiosk_run_within_5_s_with_the_store_closed(tmp_path: Path, central) -> None:
    folder = tmp_path / "kiosk"
    config = run_config(folder, central.url)
    env = app_env(TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver")
    app = subprocess.Popen([KIOSK, "--config", str(config), "run"], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        log = folder / "data" / "kiosk-app.log"
        wait_until(lambda: (folder / "data" / "kiosk.sqlite3-wal").exists(), 30, "the store open")
        wait_until(lambda: "patron screen:" in log.read_text(), 30, "the app up on its (headless) screen")
        app.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        wait_until(lambda: app.poll() is not None, 5, "kiosk run ended after SIGTERM")
        took = time.monotonic() - asked
    finally:
        if app.poll() is None:
            app.kill()
        app.wait(10)
    assert app.returncode == 0, (took, app.stderr.read() if app.stderr else "")
    assert not (folder / "data" / "kiosk.sqlite3-wal").exists(), "the store was closed (checkpointed)"
    assert "stopping (signal SIGTERM)" in log.read_text()


@pytest.mark.slow
def test_a_demo_whose_loop_is_blocked_gets_no_watchdog_pings_and_still_ends_on_sigterm(tmp_path: Path) -> None:
    """The terminal stops reading: Textual's writer thread blocks on the full pty, its queue fills,
    and the event loop blocks in Queue.put, the hang the review found. The watchdog pings (fed from
    the loop) stop, so systemd would restart the kiosk; SIGTERM ends app, agent and stand-in."""
    folder = tmp_path / "demo"
    systemd = FakeSystemd(tmp_path)
    try:
        with leaves_nothing(folder), \
                terminal([KIOSK, "demo", "--dir", str(folder)], app_env(**systemd.env(0.1))) as term:
            wait_until(lambda: term.shows("outbox: 0 pending"), 60, "the demo on screen")
            wait_until(lambda: len(systemd.pings()) >= 5, 10, "pings while the loop turns")
            term.reading = False  # the terminal stops reading (nothing is closed: no EIO, no SIGHUP)

            def blocked() -> bool:
                pings = systemd.pings()
                return bool(pings) and time.monotonic() - pings[-1] > 2.0  # 20 intervals without one
            wait_until(blocked, 90, "the loop blocked (pings stopped)")
            assert term.process.poll() is None, "still running, frozen"

            term.process.send_signal(signal.SIGTERM)
            wait_until(lambda: not running(str(folder)), 5, "app, agent and stand-in ended")
    finally:
        systemd.close()
