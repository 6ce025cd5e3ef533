"""sd_notify over a real datagram socket, and its silence outside systemd."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from types import SimpleNamespace

import pytest

from sync_agent.agent.cli import watchdog_pings
from sync_agent.agent.systemd import notify, watchdog_interval_s


def test_without_systemd_nothing_is_sent(monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert notify("READY=1") is False
    assert watchdog_interval_s() is None


def test_ready_reaches_an_abstract_socket(monkeypatch) -> None:
    name = f"kiosk-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify("READY=1")
        assert server.recv(64) == b"READY=1"


def test_a_missing_socket_is_reported_not_raised(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    assert notify("WATCHDOG=1") is False


def test_watchdog_interval_is_half_the_timeout_and_only_for_its_pid(monkeypatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert watchdog_interval_s() is None


async def test_the_watchdog_pings_only_while_the_loop_makes_progress(monkeypatch, tmp_path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(tmp_path / "notify.sock"))
        server.setblocking(False)
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
        monkeypatch.setenv("WATCHDOG_USEC", "20000")  # a ping every 10 ms
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        relay = SimpleNamespace(heartbeat=time.monotonic() - 100, lease_s=30.0)
        task = asyncio.create_task(watchdog_pings(relay))
        await asyncio.sleep(0.1)
        with pytest.raises(BlockingIOError):
            server.recv(64)  # a loop stuck for 100 s gets no ping
        relay.heartbeat = time.monotonic()
        await asyncio.sleep(0.1)
        task.cancel()
        assert server.recv(64) == b"WATCHDOG=1"
