"""Real processes for the system benchmarks: console scripts started, SIGKILLed and restarted."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from backend_stub.readiness import free_port, wait_healthy

__all__ = ["BIN", "Process", "free_port", "wait_healthy"]

BIN = Path(sys.executable).parent
"""Where the console scripts of this environment live (kiosk, kiosk-sync, kiosk-backend)."""


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
