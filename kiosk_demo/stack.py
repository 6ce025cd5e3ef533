"""The processes behind ``kiosk demo``: the central side (the REST stand-in, or the fake SIP2 ACS
with ``central = "sip2"``) and the sync agent.

Both run as real subprocesses, as on a kiosk, so the demo shows the real paths: the agent delivers
over HTTP or SIP2, and "central API unreachable" is the central side's process stopped (connection
refused), not a flag; the fake ACS keeps its records in the demo folder across that restart. The
other two switches are the stand-in's services, which SIP2 does not have: over SIP2 they say so
and change nothing. Output goes to log files in the demo folder, never to the terminal, which is
the patron's screen.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import httpx

from backend_stub.readiness import wait_healthy
from kiosk_demo.mailbox import Mailbox
from sync_agent.settings import ENV_PREFIX, Settings

SLOW_MS = (400, 620)
"""The seed's injected delay of a slow service."""
STOP_WAIT_S = 10.0
START_WAIT_S = 20.0
TERMINATE_S = 1.5
"""What :meth:`DemoStack.terminate` gives the two processes together before it kills them."""
NOT_OVER_SIP2 = "not available over SIP2"
"""Why the book-management and payment switches change nothing when the central side is an ACS:
SIP2 has no such services to take down or slow (a self-check ACS is one system)."""


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly ``settings`` (other ``KIOSK_*``
    variables of the caller removed)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[ENV_PREFIX + name.upper()] = str(value)
    return env


def _script(name: str) -> str:
    """A console script of this installation (beside the running interpreter), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (pip install -e .)")
    return found


@dataclass
class Faults:
    """The story's three switches."""

    book_down: bool = False
    payment_slow: bool = False
    central_unreachable: bool = False


class DemoStack:
    """Starts, reconfigures and stops the stand-in and the agent of one demo folder."""

    def __init__(self, folder: Path, settings: Settings, port: int) -> None:
        self.folder = folder
        self.settings = settings
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.faults = Faults()
        self.central: subprocess.Popen[bytes] | None = None
        self.agent: subprocess.Popen[bytes] | None = None
        self._logs: list[IO[bytes]] = []
        self._spawning = threading.Lock()
        self._closed = False
        self.mailbox = Mailbox(settings.smtp_port, keep_in=folder / "mail")
        """The library's mail server, in the demo's own process: the email receipts arrive here."""

    # -- processes -------------------------------------------------------------------------------

    def _spawn(self, argv: list[str], log_name: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with self._spawning:  # never a child after close/terminate: it would outlive the demo
            if self._closed:
                raise RuntimeError("the demo is stopping: not starting " + Path(argv[0]).name)
            log = (self.folder / log_name).open("ab")
            self._logs.append(log)
            # A session of its own: keys typed at the demo never reach the children as signals,
            # nor does the terminal's hang-up (the demo stops them itself).
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def start(self) -> None:
        self.mailbox.start()
        self.start_central()
        config = self.folder / "agent.toml"
        config.write_text("# kiosk demo: the agent's settings come from KIOSK_* variables\n")
        self.agent = self._spawn([sys.executable, "-m", "sync_agent", "--config", str(config), "run"],
                                 "kiosk-sync.log", settings_env(self.settings))

    def start_central(self) -> None:
        """Start (or restart, same port and records) the central side and wait until it answers."""
        if self.settings.central == "sip2":
            self.central = self._spawn([
                sys.executable, "-m", "backend_stub.sip2_acs", "--port", str(self.port),
                "--user", self.settings.sip2_user, "--password",
                self.settings.sip2_password.get_secret_value(),
                "--state", str(self.folder / "acs-records.pickle")], "central.log")
            _wait_listening(self.port, self.central, self.folder / "central.log")
            return
        self.central = self._spawn([
            _script("kiosk-backend"), "--host", "127.0.0.1", "--port", str(self.port),
            "--db", str(self.folder / "central.sqlite3"), "--faults", "--seed", "0",
            "--log-level", "warning"], "central.log")
        wait_healthy(self.url, START_WAIT_S, self.central, self.folder / "central.log")
        self._apply_service_faults(self.faults)

    def stop_central(self) -> None:
        _stop(self.central)

    def close(self) -> None:
        """Stop the agent first (it settles what it holds), then the stand-in; wait for both."""
        with self._spawning:
            self._closed = True
        _stop(self.agent)
        _stop(self.central)
        self.mailbox.stop()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def terminate(self, within_s: float = TERMINATE_S) -> None:
        """Stop both within ``within_s``, for an exit that cannot wait (the app's bounded exit):
        SIGTERM to both at once, SIGKILL to what is left at the deadline, both reaped. An entry
        the agent had in flight goes back to pending when it next starts (its claimer is gone)."""
        with self._spawning:
            self._closed = True
            running = [p for p in (self.agent, self.central) if p is not None and p.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + within_s
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def children(self) -> list[int]:
        return [p.pid for p in (self.central, self.agent) if p is not None and p.poll() is None]

    # -- faults ----------------------------------------------------------------------------------

    def set_faults(self, faults: Faults) -> None:
        """Make the stand-in match ``faults``: its process for reachability, the admin API for the
        rest. ``faults`` records only what took effect: a stand-in that will not start again stays
        recorded as unreachable, so the panel's switch says what the patron meets."""
        if self.settings.central == "sip2" and (faults.book_down or faults.payment_slow):
            raise RuntimeError(NOT_OVER_SIP2)
        if faults.central_unreachable:
            if not self.faults.central_unreachable:
                self.stop_central()
                self.faults = replace(self.faults, central_unreachable=True)
        elif self.faults.central_unreachable:
            self.start_central()
            self.faults = replace(self.faults, central_unreachable=False)
        self._apply_service_faults(faults)

    def _apply_service_faults(self, faults: Faults) -> None:
        if self.settings.central == "sip2" or self.faults.central_unreachable:
            self.faults = replace(self.faults, book_down=faults.book_down, payment_slow=faults.payment_slow)
            return  # nothing to tell: a stopped stand-in starts with them (start_central)
        bodies = {"book": {"down": faults.book_down},
                  "payment": {"latencyMs": list(SLOW_MS) if faults.payment_slow else None}}
        for service, body in bodies.items():
            httpx.put(f"{self.url}/admin/faults/{service}", json=body, timeout=5.0).raise_for_status()
        self.faults = replace(self.faults, book_down=faults.book_down, payment_slow=faults.payment_slow)


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until something accepts on ``port`` (the fake ACS listens once its records are loaded);
    fails at once if ``process`` exits."""
    deadline = time.monotonic() + START_WAIT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the fake ACS exited with {process.returncode}; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the fake ACS on port {port} did not listen in {START_WAIT_S:.0f} s")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
