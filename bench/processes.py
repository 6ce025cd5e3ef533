"""Real processes for the system benchmarks: console scripts started, SIGKILLed and restarted."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
"""Where the console scripts of this environment live (kiosk, kiosk-sync, kiosk-backend)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, timeout_s: float = 30.0) -> None:
    """Until the stand-in at ``url`` answers ``/health``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the stand-in at {url} did not start")
        time.sleep(0.05)


class Process:
    """One console script, restartable, killed with SIGKILL or stopped with SIGTERM; output
    appended to ``log``."""

    def __init__(self, argv: list[str], env: dict[str, str] | None, log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def stand_in(db: Path, log: Path, *extra: str) -> tuple[Process, str]:
    """``kiosk-backend`` with the admin API on ``db``, started and answering; (process, url)."""
    port = free_port()
    process = Process([str(BIN / "kiosk-backend"), "--port", str(port), "--db", str(db), "--faults",
                       "--log-level", "warning", *extra], None, log)
    process.start()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url)
    return process, url
