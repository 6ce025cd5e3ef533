"""Whether a stand-in is up: a free port to start one on, and waiting until it answers ``/health``.
Used by whatever starts a stand-in as a process (the demo, the system tests, the benchmarks)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx

__all__ = ["free_port", "wait_healthy"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, timeout_s: float = 30.0, process: subprocess.Popen | None = None,
                 log: Path | None = None) -> None:
    """Until the stand-in at ``url`` answers ``/health``; fails at once if ``process`` exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the stand-in exited with {process.returncode}; see {log}")
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the stand-in at {url} did not answer in {timeout_s:.0f} s")
        time.sleep(0.05)
