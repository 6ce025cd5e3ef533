"""systemd's side of ``NOTIFY_SOCKET`` for tests: a real datagram socket that keeps every datagram
with the time it arrived, so a test can count watchdog pings between two moments."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path


class FakeSystemd:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.received: list[tuple[float, str]] = []
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.received.append((time.monotonic(), self.sock.recv(256).decode()))

    def pings(self, after: float = 0.0, before: float = float("inf")) -> list[float]:
        return [when for when, what in self.received if what == "WATCHDOG=1" and after < when < before]

    def env(self, interval_s: float) -> dict[str, str]:
        """The variables a ``NotifyAccess=all`` unit gives its processes; WATCHDOG_PID names another
        process, as under cage (the unit's main process)."""
        return {"NOTIFY_SOCKET": str(self.path), "WATCHDOG_USEC": str(int(interval_s * 2e6)),
                "WATCHDOG_PID": "1"}

    def close(self) -> None:
        self.sock.close()
