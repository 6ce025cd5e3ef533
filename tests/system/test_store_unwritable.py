"""A store that becomes unwritable under the running agent (an SD card remounted read-only, a
file made immutable): the agent must not die of SIGBUS (SQLite's shared index is a memory map,
and a write to a mapped page of an immutable file is a bus error, not an error code). It says
why in its log, reports ``kiosk_store_up 0``, keeps running, and delivers again once the file
can be written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend_stub.readiness import free_port
from kiosk_testing.waiting import wait_until
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox

from .test_store_under_the_agent import store_up

BIN = Path(sys.executable).parent


def chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


@pytest.fixture
def immutable_capable(tmp_path: Path) -> None:
    if shutil.which("chattr") is None:
        pytest.skip("skipped: chattr (e2fsprogs) is not installed, so no file can be made immutable")
    probe = tmp_path / "probe"
    probe.write_text("x")
    try:
        chattr("+i", probe)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"skipped: this file system or user cannot make a file immutable "
                    f"({exc.stderr.decode().strip()})")
    chattr("-i", probe)


def test_an_immutable_store_under_the_agent_is_reported_not_a_bus_error(tmp_path: Path,
                                                                        immutable_capable) -> None:
    data, port = tmp_path / "kiosk", free_port()
    path = data / "kiosk.sqlite3"
    store = Store.open(path)
    outbox = Outbox(store, "kiosk-ro")
    for n in range(20):
        outbox.append_return(f"3004200000{n:04d}", datetime.now(UTC))
    store.close()
    env = dict(os.environ, KIOSK_ID="kiosk-ro", KIOSK_DATA_DIR=str(data),
               KIOSK_API_URL="http://127.0.0.1:9", KIOSK_METRICS_LISTEN=f"127.0.0.1:{port}")
    log = tmp_path / "agent.log"
    with log.open("wb") as out:
        agent = subprocess.Popen([str(BIN / "kiosk-sync"), "run"], env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    try:
        metrics = f"http://127.0.0.1:{port}/metrics"
        assert wait_until(lambda: store_up(metrics), 20, "the agent's metrics") == "1.0"
        wait_until(lambda: all(f.exists() for f in files), 10, "the store open in WAL mode")
        chattr("+i", *files)
        wait_until(lambda: store_up(metrics) == "0.0" or agent.poll() is not None, 20,
                   "kiosk_store_up 0")
        assert agent.poll() is None, f"the agent died (exit {agent.returncode}):\n{log.read_text()[-2000:]}"
        wait_until(lambda: "cannot be written" in log.read_text(), 10, "why, in the log")
        status = subprocess.run([str(BIN / "kiosk-sync"), "status"], env=env, capture_output=True, timeout=30)
        assert status.returncode == 0, status.stderr
        assert "cannot be written" in json.loads(status.stdout)["store_unwritable"]
        chattr("-i", *files)
        assert wait_until(lambda: store_up(metrics) == "1.0", 20, "the store usable again") is True
        status = subprocess.run([str(BIN / "kiosk-sync"), "status"], env=env, capture_output=True, timeout=30)
        assert json.loads(status.stdout)["store_unwritable"] is None
        assert agent.poll() is None
    finally:
        subprocess.run(["chattr", "-i", *map(str, files)], capture_output=True)
        agent.terminate()
        agent.wait(10)
