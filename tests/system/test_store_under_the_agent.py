"""The store's file as the real agent (`kiosk-sync run`, a process) lives with it: created private
under a technician's loose umask, and a file replaced under it noticed, said once in its log and
reported by its metrics (``kiosk_store_up 0``) instead of served from the old file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from backend_stub.readiness import free_port
from sync_agent.store.database import Store

BIN = Path(sys.executable).parent


def wait_for(predicate, timeout_s: float, what: str):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout_s
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"not within {timeout_s} s: {what}"
        time.sleep(0.05)
    return found


def store_up(url: str) -> str | None:
    try:
        text = httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return None
    return next((line.split()[-1] for line in text.splitlines() if line.startswith("kiosk_store_up ")), None)


def test_the_agent_creates_a_private_store_and_notices_it_replaced(tmp_path: Path) -> None:
    data, port = tmp_path / "kiosk", free_port()
    store, log = data / "kiosk.sqlite3", tmp_path / "agent.log"
    env = dict(os.environ, KIOSK_ID="kiosk-moved", KIOSK_DATA_DIR=str(data),
               KIOSK_API_URL="http://127.0.0.1:9", KIOSK_METRICS_LISTEN=f"127.0.0.1:{port}")
    with log.open("wb") as out:
        agent = subprocess.Popen([str(BIN / "kiosk-sync"), "run"], env=env, stdout=out,
                                 stderr=subprocess.STDOUT, preexec_fn=lambda: os.umask(0o022))
    try:
        metrics = f"http://127.0.0.1:{port}/metrics"
        assert wait_for(lambda: store_up(metrics), 20, "the agent's metrics") == "1.0"
        modes = {path.name: path.stat().st_mode & 0o777 for path in data.iterdir()}
        assert modes and set(modes.values()) == {0o600}, modes

        spare = data / "restored.sqlite3"
        Store.open(spare).close()
        os.replace(spare, store)
        assert wait_for(lambda: store_up(metrics) == "0.0", 20, "kiosk_store_up 0") is True
        said = wait_for(lambda: [line for line in log.read_text().splitlines() if "was replaced while this process" in line],
                        10, "the log line")
        retries = lambda: log.read_text().count("store unusable, retrying")  # noqa: E731
        wait_for(lambda: retries() >= 2, 20, "the agent's loop refused by the store again and again")
        assert len([line for line in log.read_text().splitlines() if "was replaced while this process" in line]) == 1, said
        assert agent.poll() is None, "the agent goes on (no crash loop), reporting"
    finally:
        agent.terminate()
        agent.wait(10)
