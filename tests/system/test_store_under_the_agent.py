"""The store's file as the real agent (`kiosk-sync run`, a process) lives with it: created private
under a technician's loose umask, and a file replaced under it noticed, said once in its log and
reported by its metrics (``kiosk_store_up 0``) instead of served from the old file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from backend_stub.readiness import free_port
from kiosk_testing.waiting import wait_until
from sync_agent.store.database import Store

BIN = Path(sys.executable).parent


def store_up(url: str) -> str | None:
    try:
        text = httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return None
    return next((line.split()[-1] for line in text.splitlines() if line.startswith("kiosk_store_up ")), None)


def replaced_lines(log: Path) -> list[str]:
    """The agent's log lines saying its store file was swapped under it."""
    return [line for line in log.read_text().splitlines() if "was replaced while this process" in line]


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
        assert wait_until(lambda: store_up(metrics), 20, "the agent's metrics") == "1.0"
        modes = {path.name: path.stat().st_mode & 0o777 for path in data.iterdir()}
        assert modes and set(modes.values()) == {0o600}, modes

        spare = data / "restored.sqlite3"
        Store.open(spare).close()
        os.replace(spare, store)
        assert wait_until(lambda: store_up(metrics) == "0.0", 20, "kiosk_store_up 0") is True
        said = wait_until(lambda: replaced_lines(log), 10, "the log line")
        wait_until(lambda: log.read_text().count("store unusable, retrying") >= 2, 20,
                   "the agent's loop refused by the store again and again")
        assert len(replaced_lines(log)) == 1, said
        assert agent.poll() is None, "the agent goes on (no crash loop), reporting"
    finally:
        agent.terminate()
        agent.wait(10)
