"""The kiosk's SQLite file at its worst: locked by another process for longer than the busy
timeout, a full disk, a corrupt file at start. The patron is told the return could not be saved
and why (busy: scan again; full or damaged: see staff), or at start that the kiosk is out of
service; nothing is acknowledged on screen that is not in the outbox, and the kiosk takes returns
again once the file can be written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

from kiosk_app.i18n import t
from kiosk_app.out_of_service import OutOfServiceApp
from kiosk_app.screens.notice import NoticeScreen
from kiosk_testing.pty_kiosk import item_codes, kiosk_on_pty
from kiosk_testing.waiting import wait_until, wait_until_async
from sync_agent.store.database import Store, StoreError
from sync_agent.store.outbox import Outbox
from tests.sync.damage import fill, make_status_index_stale

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def stored(app) -> list[str]:
    outbox = Outbox(app.lending.store, app.settings.id)
    return [row["barcode"] for row in outbox.store.rows("SELECT barcode FROM outbox WHERE kind = 'return'")]


def shown(app) -> list[str]:
    return [line.barcode for line in app.session.returns]


def told(app, why: str) -> bool:
    return isinstance(app.screen, NoticeScreen) and app.screen.refusal.why == why


def save_failed(app) -> bool:
    return told(app, "why_save_failed")


def disk_full(app) -> bool:
    return told(app, "why_store_disk_full")


async def test_a_store_locked_by_another_process_for_seconds_acknowledges_nothing() -> None:
    first, blocked, after = item_codes(3, start=900_000)
    async with kiosk_on_pty() as (app, scanner, _pilot):
        scanner.scan(first)
        await wait_until_async(lambda: shown(app) == [first])
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(app.settings.db_path), "10"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            scanner.scan(blocked)  # waits out the 3 s busy timeout (twice at most), then gives up
            await wait_until_async(lambda: save_failed(app), timeout_s=15)
            assert shown(app) == [first] and stored(app) == [first]
        finally:
            holder.wait(15)
        scanner.scan(after)
        await wait_until_async(lambda: shown(app) == [first, after])
        assert stored(app) == [first, after]


async def test_a_full_disk_acknowledges_exactly_what_was_stored() -> None:
    codes = item_codes(400, start=910_000)
    async with kiosk_on_pty() as (app, scanner, _pilot):
        conn = app.lending.store.conn
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages + 2}")  # a few pages of room, then SQLITE_FULL
        for code in codes:
            scanner.scan(code)
            await wait_until_async(lambda c=code: c in shown(app) or disk_full(app))
            if disk_full(app):
                break
        assert disk_full(app), "the disk never filled, or the patron was not told it is full"
        assert app.screen.refusal.next == "next_store_staff"
        assert shown(app) == stored(app) and 0 < len(stored(app)) < len(codes)
        conn.execute("PRAGMA max_page_count=1073741823")  # room again
        scanner.scan(codes[-1])
        await wait_until_async(lambda: codes[-1] in shown(app))
        assert shown(app) == stored(app)


def first_complaint_of_kiosk_run(data_dir: Path) -> str:
    """`kiosk run` on ``data_dir``: the first line it writes to stderr (journald's), once it has
    stayed up for 2 s after it (showing the out-of-service notice, not exiting into a restart
    loop); then it is killed."""
    env = dict(os.environ, KIOSK_DATA_DIR=str(data_dir), KIOSK_API_URL="http://127.0.0.1:9",
               TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver")
    env.pop("KIOSK_SCANNER_PORT", None)
    kiosk = subprocess.Popen([str(Path(sys.executable).parent / "kiosk"), "run"], env=env, text=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert kiosk.stderr is not None
        line = kiosk.stderr.readline()
        with pytest.raises(subprocess.TimeoutExpired):
            kiosk.wait(2)  # still showing the notice, not exited
        return line
    finally:
        kiosk.kill()
        kiosk.wait(10)


def test_a_corrupt_store_at_start_shows_out_of_service_with_the_reason(tmp_path: Path) -> None:
    """`kiosk run` on a damaged file says why on stderr (for journald) and keeps the patron's
    screen up with the out-of-service notice, instead of exiting into a restart loop."""
    (tmp_path / "kiosk.sqlite3").write_bytes(b"this is not a database" * 200)
    line = first_complaint_of_kiosk_run(tmp_path)
    assert "cannot open the store" in line and "corrupt" in line
    assert (tmp_path / "kiosk.sqlite3").read_bytes() == b"this is not a database" * 200


async def test_the_out_of_service_screen_tells_why_and_hands_over_a_repaired_store(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    path.write_bytes(b"this is not a database" * 200)
    with pytest.raises(StoreError) as error:
        Store.open(path)
    app = OutOfServiceApp(path, error.value, retry_s=0.1)
    async with app.run_test(size=(100, 32)) as pilot:
        text = " ".join(str(widget.render()) for widget in app.query(Static))
        assert t("ko", "out_of_service") in text and t("en", "out_of_service") in text
        assert t("ko", "why_store_corrupt") in text and t("en", "why_store_corrupt") in text
        await pilot.press("ctrl+c")
        await pilot.pause(0.3)
        assert app.is_running, "a patron must not be able to close it"
        path.unlink()  # the technician moved the damaged file away
        for _ in range(50):
            if not app.is_running:
                break
            await pilot.pause(0.1)
    assert isinstance(app.return_value, Store)
    app.return_value.close()


def test_kiosk_run_takes_a_repaired_store_from_the_out_of_service_screen_and_serves(tmp_path: Path) -> None:
    """The whole way back under `kiosk run`: the damaged file moved away, the out-of-service
    screen hands over the new store, a new shell is drawn and the core attached to it; a SIGTERM
    then ends it cleanly."""
    path = tmp_path / "kiosk.sqlite3"
    path.write_bytes(b"this is not a database" * 200)
    env = dict(os.environ, KIOSK_DATA_DIR=str(tmp_path), KIOSK_API_URL="http://127.0.0.1:9",
               TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver")
    env.pop("KIOSK_SCANNER_PORT", None)
    log = tmp_path / "kiosk-app.log"
    kiosk = subprocess.Popen([str(Path(sys.executable).parent / "kiosk"), "run"], env=env, text=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert kiosk.stderr is not None
        assert "cannot open the store" in kiosk.stderr.readline()
        path.unlink()  # the technician moved the damaged file away
        wait_until(lambda: log.exists() and "core attached" in log.read_text(), 30,  # retried each 10 s
                   lambda: log.read_text() if log.exists() else "no log")
        assert kiosk.poll() is None
        kiosk.terminate()
        assert kiosk.wait(10) == 0
        reopened = Store.open(path)
        assert reopened.integrity_check() == "ok", "a new store, closed cleanly"
        reopened.close()
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait(10)


def test_a_store_whose_outbox_index_went_stale_is_refused_at_start(tmp_path: Path) -> None:
    """A damaged index hides pending returns from the agent for good while the file looks fine:
    `kiosk run` refuses it at open (the quick check) and shows the out-of-service screen."""
    path = tmp_path / "kiosk.sqlite3"
    fill(path, 30).close()
    make_status_index_stale(path, (5, 9))
    line = first_complaint_of_kiosk_run(tmp_path)
    assert "cannot open the store" in line and "corrupt" in line and "missing from index" in line
