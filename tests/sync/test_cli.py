"""``kiosk-sync`` as real processes: status, drain, retry-dead, SIGTERM, systemd pings, kill -9,
and the app writing to the file the agent is working on."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_data.codes import AVAILABLE, ON_LOAN
from kiosk_testing.waiting import wait_until
from sync_agent.store.outbox import Outbox, Status
from sync_agent.store.status import snapshot

from .conftest import Reply, rented_barcodes


def config(tmp_path: Path, url: str, **extra: object) -> Path:
    values = {"id": "kiosk-07", "data_dir": str(tmp_path / "kiosk"), "api_url": url,
              "breaker_failure_threshold": 50, "breaker_reset_s": 0.5, **extra}
    path = tmp_path / "kiosk.toml"
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items()))
    return path


def kiosk_sync(cfg: Path, *args: str, env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sync_agent", "--config", str(cfg), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **popen)


def finish(process: subprocess.Popen, timeout: float = 30) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_status_prints_the_truth_as_json(central, store, outbox, tmp_path) -> None:
    outbox.append_return(AVAILABLE, datetime.now(UTC))
    code, out, _ = finish(kiosk_sync(config(tmp_path, central.url), "status"))
    status = json.loads(out)
    assert code == 0 and status["pending"] == 1 and status["dead"] == 0
    assert status["oldest_pending_age_s"] >= 0 and "breakers" in status and "last_success_at" in status
    assert status["mails_waiting"] == 0 and status["store_unwritable"] is None


def test_drain_exit_codes(central, store, outbox, tmp_path) -> None:
    cfg = config(tmp_path, central.url)
    ok = outbox.append_return(rented_barcodes()[0], datetime.now(UTC))
    central.stop()
    code, out, _ = finish(kiosk_sync(cfg, "drain", "--timeout", "1"))
    assert code == 1 and json.loads(out)["pending"] == 1  # central away: left pending, non-zero
    central.start()
    code, out, _ = finish(kiosk_sync(cfg, "drain", "--timeout", "20"))
    assert code == 0 and json.loads(out)["delivered"] == 1
    assert outbox.get(ok.id).status is Status.DELIVERED
    refused = outbox.append_return("30042000009999", datetime.now(UTC))  # a copy nobody knows
    code, out, _ = finish(kiosk_sync(cfg, "drain", "--timeout", "20"))
    assert code == 3 and json.loads(out)["dead_letters"] == 1  # delivered all it could
    code, out, _ = finish(kiosk_sync(cfg, "retry-dead"))
    assert code == 0 and json.loads(out) == {"requeued": 1}
    assert outbox.get(refused.id).status is Status.PENDING


def test_a_bad_configuration_is_explained(tmp_path) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('call_timeout_ms = "soon"\n')
    code, _, err = finish(kiosk_sync(cfg, "status"))
    assert code == 2 and "call_timeout_ms" in err


def test_sigterm_after_ready_and_watchdog_pings_stops_cleanly(hostile, store, outbox, tmp_path):
    hostile.default = Reply(delay_s=0.3)
    sock_path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(sock_path))
    received: list[str] = []

    def systemd() -> None:  # systemd's side: read every datagram as it comes
        with contextlib.suppress(OSError):
            while True:
                received.append(listener.recv(256).decode())

    threading.Thread(target=systemd, daemon=True).start()
    env = {"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "100000"}
    process = kiosk_sync(config(tmp_path, hostile.url, call_timeout_ms=2000), "run", env=env)
    wait_until(lambda: received.count("WATCHDOG=1") >= 2)
    assert received[0] == "READY=1"
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    wait_until(lambda: any(seen.path == "/kiosk/returns" for seen in hostile.seen))
    process.send_signal(signal.SIGTERM)
    code, out, _ = finish(process)
    assert code == 0
    wait_until(lambda: "STOPPING=1" in received, timeout_s=5)
    listener.close()
    assert outbox.get(entry.id).status is Status.DELIVERED  # the delivery in hand finished
    assert snapshot(store)["in_flight"] == 0
    assert 'level=info logger=sync_agent.agent.cli msg="kiosk-sync running for kiosk-07' in out


def test_kill_9_mid_delivery_then_restart_loses_nothing_and_applies_once(central, store, outbox,
                                                                          tmp_path) -> None:
    central.set_fault("rental", latency_ms=(500, 500))
    cfg = config(tmp_path, central.url, call_timeout_ms=3000, relay_parallelism=2)
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in rented_barcodes()]
    agent = kiosk_sync(cfg, "run")
    wait_until(lambda: outbox.counts()["in_flight"] > 0)
    wait_until(lambda: central.requests().get("rental", 0) > 0, what="a return at the stand-in, its answer not back")
    agent.kill()
    agent.wait(10)
    stranded = outbox.counts()
    assert stranded["in_flight"] > 0 and stranded["delivered"] < len(entries)
    central.clear_faults()
    restarted = kiosk_sync(cfg, "run")
    try:
        wait_until(lambda: outbox.counts()["delivered"] == len(entries))
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert finish(restarted)[0] == 0
    assert central.key_counts() == {entry.key: 1 for entry in entries}
    assert all(outbox.get(entry.id).status is Status.DELIVERED for entry in entries)
    assert outbox.counts()["dead"] == 0  # no return was sent under a second key


APPENDER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from sync_agent.store.outbox import Outbox
from sync_agent.store.database import Store
outbox = Outbox(Store.open(Path(sys.argv[1])), "kiosk-07")
for index in range(int(sys.argv[2])):
    outbox.append_return(f"3004299{index:07d}", datetime.now(UTC))
"""


def test_app_and_agent_write_the_same_file_at_once(hostile, store, tmp_path) -> None:
    hostile.default = Reply()
    agent = kiosk_sync(config(tmp_path, hostile.url), "run")
    try:
        apps = [subprocess.Popen([sys.executable, "-c", APPENDER, str(store.path), "150"])
                for _ in range(2)]
        local = Outbox(store, "kiosk-07")
        for index in range(150):
            local.append_return(f"3004288{index:07d}", datetime.now(UTC))
        assert [app.wait(60) for app in apps] == [0, 0]  # no writer saw "database is locked"
        wait_until(lambda: local.counts()["delivered"] == 450, timeout_s=60)
    finally:
        agent.send_signal(signal.SIGTERM)
        assert finish(agent)[0] == 0
    keys = [seen.key for seen in hostile.seen if seen.path == "/kiosk/returns"]
    assert len(keys) == 450 == len(set(keys))
    assert store.integrity_check() == "ok"


@pytest.mark.parametrize("command", [["run"], ["status"]])
def test_an_unusable_store_is_an_error_not_a_crash(tmp_path, command) -> None:
    data_dir = tmp_path / "kiosk"
    data_dir.mkdir()
    (data_dir / "kiosk.sqlite3").write_bytes(b"garbage" * 1000)
    code, _, err = finish(kiosk_sync(config(tmp_path, "http://127.0.0.1:9"), *command))
    assert code == 2 and "store corrupt" in err
    # the file is left for the technician, not replaced
    assert (data_dir / "kiosk.sqlite3").read_bytes().startswith(b"garbage")


def test_the_outage_story_end_to_end(central, store, outbox, tmp_path) -> None:
    """Returns appended while the central API is away survive an agent kill and arrive once when
    it is back; `kiosk-sync status` tells the truth at every step."""
    cfg = config(tmp_path, central.url, breaker_failure_threshold=2, breaker_reset_s=0.5)

    def status() -> dict:
        code, out, _ = finish(kiosk_sync(cfg, "status"))
        assert code == 0
        return json.loads(out)

    central.stop()
    agent = kiosk_sync(cfg, "run")
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in rented_barcodes()]
    wait_until(lambda: status()["breakers"].get("agent", {}).get("returns", {}).get("state") == "open")
    during = status()
    assert during["pending"] + during["in_flight"] == len(entries) and during["delivered"] == 0
    assert during["last_success_at"] is None and during["oldest_pending_age_s"] > 0
    agent.kill()  # the agent dies during the outage
    agent.wait(10)
    central.start()
    assert status()["pending"] + status()["in_flight"] == len(entries)  # nothing lost
    agent = kiosk_sync(cfg, "run")
    try:
        wait_until(lambda: status()["delivered"] == len(entries), timeout_s=40)
    finally:
        agent.send_signal(signal.SIGTERM)
        assert finish(agent)[0] == 0
    after = status()
    assert after["pending"] == after["in_flight"] == after["dead"] == 0
    assert after["last_success_at"] is not None and after["breakers"]["agent"]["returns"]["state"] == "closed"
    assert central.key_counts() == {entry.key: 1 for entry in entries}


def test_check_reports_integrity(tmp_path, store) -> None:
    cfg = config(tmp_path, "http://127.0.0.1:9")
    code, out, _ = finish(kiosk_sync(cfg, "check"))
    assert code == 0 and json.loads(out) == {"integrity": "ok"}


@pytest.mark.parametrize("command", ["status", "check"])
def test_a_command_that_only_reads_never_creates_the_store(tmp_path, command) -> None:
    """Without a config file the store is /var/lib/kiosk/kiosk.sqlite3 (here moved under tmp_path
    by KIOSK_DATA_DIR): a report on a kiosk where nothing ran yet creates neither it nor its folder."""
    data_dir = tmp_path / "var" / "lib" / "kiosk"
    process = subprocess.Popen([sys.executable, "-m", "sync_agent", command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "KIOSK_DATA_DIR": str(data_dir)})
    code, out, err = finish(process)
    assert code == 2 and out == ""
    assert f"{data_dir / 'kiosk.sqlite3'}: no store here" in err
    assert not (tmp_path / "var").exists()


def test_status_reads_a_store_the_agent_has_open_without_writing(tmp_path, store, outbox) -> None:
    outbox.append_return(AVAILABLE, datetime.now(UTC))
    files = sorted(path.name for path in store.path.parent.iterdir())
    mtimes = {path.name: path.stat().st_mtime_ns for path in store.path.parent.iterdir()}
    code, out, _ = finish(kiosk_sync(config(tmp_path, "http://127.0.0.1:9"), "status"))
    assert code == 0 and json.loads(out)["pending"] == 1
    assert sorted(path.name for path in store.path.parent.iterdir()) == files
    assert {path.name: path.stat().st_mtime_ns for path in store.path.parent.iterdir()} == mtimes
