"""systemd's watchdog fed from the app's event loop, against a fake NOTIFY_SOCKET (a real datagram
socket): pings while the loop turns, none while it is blocked; the real `kiosk run` feeds it
although WATCHDOG_PID names another process (cage), on the out-of-service screen too."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk_app import watchdog
from kiosk_testing.waiting import wait_until
from tests.fake_systemd import FakeSystemd

KIOSK = str(Path(sys.executable).parent / "kiosk")


@pytest.fixture
def systemd(tmp_path, monkeypatch):
    fake = FakeSystemd(tmp_path)
    monkeypatch.setenv("NOTIFY_SOCKET", str(fake.path))
    monkeypatch.setenv("WATCHDOG_USEC", "40000")  # WatchdogSec=40ms: a ping every 20 ms
    monkeypatch.setenv("WATCHDOG_PID", "1")        # the unit's main process is another one (cage)
    yield fake
    fake.close()


async def test_pings_while_the_loop_turns_and_none_while_it_is_blocked(systemd) -> None:
    assert watchdog.interval_s() == 0.02
    feeding = watchdog.start()
    try:
        await asyncio.sleep(0.3)
        blocked_at = time.monotonic()
        time.sleep(0.5)  # a handler that does not return: the loop is blocked
        unblocked_at = time.monotonic()
        await asyncio.sleep(0.3)
    finally:
        feeding.cancel()
    time.sleep(0.05)
    assert len(systemd.pings(before=blocked_at)) >= 5, "pings while the loop turns"
    assert systemd.pings(after=blocked_at + 0.01, before=unblocked_at) == [], "none while blocked"
    assert len(systemd.pings(after=unblocked_at)) >= 5, "pings again once it turns again"


async def test_without_a_watchdog_nothing_is_sent(systemd, monkeypatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC")
    assert watchdog.interval_s() is None
    await asyncio.wait_for(watchdog.feed(), 1)  # returns at once
    time.sleep(0.05)
    assert systemd.received == []


@pytest.mark.parametrize("store", ["sound", "damaged"])
def test_kiosk_run_feeds_the_watchdog_from_its_loop(tmp_path: Path, store: str) -> None:
    """Under kiosk.service the app runs under cage and foot, so WATCHDOG_PID is cage's pid; the
    app pings anyway (NotifyAccess=all), on the patron screen and on the out-of-service screen."""
    fake = FakeSystemd(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    if store == "damaged":
        (data / "kiosk.sqlite3").write_bytes(b"not a database" * 300)
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update(KIOSK_DATA_DIR=str(data), KIOSK_API_URL="http://127.0.0.1:9",
               TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver",
               NOTIFY_SOCKET=str(fake.path), WATCHDOG_USEC="200000", WATCHDOG_PID="1")
    app = subprocess.Popen([KIOSK, "run"], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(fake.pings()) >= 5 or app.poll() is not None, 20, lambda: f"pings: {fake.received}")
        assert app.poll() is None, "the app ended"
        app.send_signal(signal.SIGTERM)
        assert app.wait(5) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        fake.close()
