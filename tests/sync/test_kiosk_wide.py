"""Answers about the kiosk, not the entry, against the real stand-in: a refused token, a clock
running ahead, an idempotency key the central side holds for another request. Each gives one
kiosk-wide state (status, metric, one log line), no dead letter, and delivery resumes by itself
once the cause is gone. And the rollback the random keys were made for: a store restored from a
copy delivers again without anything applied twice, lost or dead."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from kiosk_testing.waiting import wait_until_async
from sync_agent.agent.relay import Relay
from sync_agent.central.rest.client import CentralClient
from sync_agent.settings import Settings, load_settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Status
from sync_agent.store.status import kiosk_state, snapshot

from .conftest import rented_barcodes

PROBE_S = 0.2


def write_config(path: Path, folder: Path, url: str, token: str) -> Path:
    path.write_text(f'id = "kiosk-07"\ndata_dir = "{folder}"\napi_url = "{url}"\napi_token = "{token}"\n'
                    'breaker_failure_threshold = 3\nbreaker_reset_s = 0.5\n')
    return path


def start_agent(store: Store, settings: Settings, reload=None) -> tuple[Relay, asyncio.Task]:
    relay = Relay(store, CentralClient(settings, owner="agent"), settings, reload=reload)
    relay.gate.probe_every_s = PROBE_S
    return relay, asyncio.create_task(relay.run())


async def stop_agent(relay: Relay, task: asyncio.Task) -> None:
    relay.stop()
    await asyncio.wait_for(task, 10)
    await relay.client.aclose()


def returned(central) -> set[str]:
    return {r["barcode"] for r in httpx.get(f"{central.url}/rentals", params={"status": "returned"},
                                            headers={"Authorization": "Bearer tok-right-7734"}).json()}


async def test_a_refused_token_pauses_delivery_until_it_is_replaced(make_central, store, outbox, tmp_path,
                                                                    caplog) -> None:
    central = make_central(token="tok-right-7734")
    config = write_config(tmp_path / "kiosk.toml", store.path.parent, central.url, "tok-wrong-5150")
    barcodes = rented_barcodes()[:3]
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in barcodes]
    relay, task = start_agent(store, load_settings(config), reload=lambda: load_settings(config))
    try:
        await wait_until_async(lambda: kiosk_state(store)["state"] == "unauthorized")
        await wait_until_async(lambda: all(outbox.get(e.id).attempts >= 1 for e in entries[:1]))
        assert snapshot(store)["dead"] == 0 and outbox.counts()["delivered"] == 0
        assert "kiosk_api_token" in kiosk_state(store)["reason"]
        status = subprocess.run([sys.executable, "-m", "sync_agent", "--config", str(config), "status"],
                                capture_output=True, text=True, timeout=30)
        assert json.loads(status.stdout)["kiosk_state"]["state"] == "unauthorized"  # kiosk-sync status
        write_config(config, store.path.parent, central.url, "tok-right-7734")  # the technician's fix
        await wait_until_async(lambda: outbox.counts()["delivered"] == 3)
        await wait_until_async(lambda: kiosk_state(store)["state"] == "ok")
    finally:
        await stop_agent(relay, task)
    assert snapshot(store)["dead"] == 0
    assert returned(central) >= set(barcodes)
    assert caplog.text.count("delivery paused, kiosk-wide state unauthorized") == 1
    assert "tok-wrong-5150" not in caplog.text and "tok-right-7734" not in caplog.text  # never logged


async def test_a_clock_ahead_pauses_delivery_until_the_clocks_agree(central, store, outbox, tmp_path) -> None:
    ahead = datetime.now(UTC) + timedelta(minutes=10)  # the kiosk's clock runs 10 minutes fast
    barcodes = rented_barcodes()[:2]
    entries = [outbox.append_return(code, ahead) for code in barcodes]
    settings = load_settings(write_config(tmp_path / "kiosk.toml", store.path.parent, central.url, ""))
    relay, task = start_agent(store, settings)
    try:
        await wait_until_async(lambda: kiosk_state(store)["state"] == "clock_skew")
        # the state is told as soon as the answer comes; the entry's own outcome is written with
        # the relay's next transaction, a moment later
        await wait_until_async(lambda: "in the future" in (outbox.get(entries[0].id).last_error or ""))
        assert snapshot(store)["dead"] == 0 and outbox.counts()["delivered"] == 0
        central.advance_clock(10 * 60)  # the clocks agree again (time has caught up with the stamps)
        await wait_until_async(lambda: outbox.counts()["delivered"] == 2)
        await wait_until_async(lambda: kiosk_state(store)["state"] == "ok")
    finally:
        await stop_agent(relay, task)
    assert snapshot(store)["dead"] == 0
    assert set(central.key_counts().values()) == {1} and len(central.key_counts()) == 2


async def test_a_key_known_for_another_request_is_renewed_not_dead_lettered(central, store, outbox,
                                                                            tmp_path, caplog) -> None:
    """A store rolled back under the old ``<kiosk>:<epoch>:<row id>`` keys sends a key the central
    side applied for another return: 422 idempotency_mismatch, once, then a fresh key."""
    first, second = rented_barcodes()[:2]
    applied = outbox.append_return(first, datetime.now(UTC))
    settings = load_settings(write_config(tmp_path / "kiosk.toml", store.path.parent, central.url, ""))
    relay, task = start_agent(store, settings)
    try:
        await wait_until_async(lambda: outbox.get(applied.id).status is Status.DELIVERED)
        reused = outbox.append_return(second, datetime.now(UTC))
        with store.write() as conn:
            conn.execute("UPDATE outbox SET key = ? WHERE id = ?", (applied.key, reused.id))
        await wait_until_async(lambda: outbox.get(reused.id).status is Status.DELIVERED)
        await wait_until_async(lambda: kiosk_state(store)["state"] == "ok")
    finally:
        await stop_agent(relay, task)
    renewed = outbox.get(reused.id)
    assert renewed.key != applied.key and renewed.attempts == 2
    assert caplog.text.count("delivery paused, kiosk-wide state keys_rejected") == 1
    assert central.key_counts() == {applied.key: 1, renewed.key: 1}
    assert snapshot(store)["dead"] == 0


async def test_a_store_rolled_back_to_a_copy_delivers_nothing_twice(central, tmp_path) -> None:
    """Copy the store, deliver, restore the copy, deliver again: nothing applied twice, nothing
    lost, no dead letter (the keys are random per entry, so the restored entries repeat exactly
    the requests already applied and new entries never reuse a key)."""
    folder = tmp_path / "kiosk"
    settings = load_settings(write_config(tmp_path / "kiosk.toml", folder, central.url, ""))
    first, second, later = rented_barcodes()[:3]
    store = Store.open(settings.db_path)
    outbox = Outbox(store, settings.id)
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in (first, second)]
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(settings.db_path, tmp_path / "copy.sqlite3")
    async with CentralClient(settings, owner="agent") as client:
        assert (await Relay(store, client, settings).drain(10)).delivered == 2
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{settings.db_path}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "copy.sqlite3", settings.db_path)  # the rollback

    store = Store.open(settings.db_path)
    outbox = Outbox(store, settings.id)
    try:
        assert outbox.counts()["pending"] == 2  # the copy knows nothing of the deliveries
        made_after = outbox.append_return(later, datetime.now(UTC))
        async with CentralClient(settings, owner="agent") as client:
            drained = await Relay(store, client, settings).drain(10)
        assert drained.empty and drained.dead == 0 and drained.delivered == 3
        for entry in entries:
            again = outbox.get(entry.id)
            assert again.status is Status.DELIVERED and again.answer["barcode"] == entry.barcode
        assert made_after.key not in {entry.key for entry in entries}
        assert central.key_counts() == {entries[0].key: 1, entries[1].key: 1, made_after.key: 1}
        assert {first, second, later} <= returned(central)
        assert snapshot(store)["dead"] == 0
    finally:
        store.close()
