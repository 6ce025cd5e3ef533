"""The app SIGKILLed while a borrow is in flight: the patron saw no "borrowed" (the screen died
with the spinner), the central side applied the loan anyway, and the agent (a real `kiosk-sync
drain`) must find the orphaned intent, learn from the central side that it was applied, and put
the loan back to the reservation it was made from exactly once, the fee kept with it.

Real processes: `kiosk run` on Textual's headless driver reading a scanner pty, the stand-in on
127.0.0.1, `kiosk-sync drain`, one SQLite file.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hardware.sim import VirtualScanner
from kiosk_data.codes import HOLD_READY, KIM
from kiosk_testing.waiting import wait_until

BIN = Path(sys.executable).parent
CARD, HELD = KIM, HOLD_READY  # 김민지 and the copy held for her (book 1)
HEADLESS = "textual.drivers.headless_driver:HeadlessDriver"


def query(path: Path, sql: str) -> list[tuple]:
    """Rows of the kiosk's store, or none while the app is still creating it."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def test_an_intent_orphaned_by_a_killed_app_is_settled_and_undone_once(central, tmp_path) -> None:
    data = tmp_path / "kiosk"
    store = data / "kiosk.sqlite3"
    log = data / "kiosk-app.log"
    env = dict(os.environ, KIOSK_ID="kiosk-kill", KIOSK_DATA_DIR=str(data), KIOSK_API_URL=central.url,
               KIOSK_LANG="en", TEXTUAL_DRIVER=HEADLESS)
    with VirtualScanner() as scanner:
        started = time.time()
        app = subprocess.Popen([str(BIN / "kiosk"), "run"], env=dict(env, KIOSK_SCANNER_PORT=scanner.path),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: any(json.loads(status)["state"] == "connected" and updated >= started
                              for status, updated in query(store, "SELECT status, updated_at FROM devices "
                                                                  "WHERE name = 'scanner'")),
                  30, "the app's scanner connected")
            scanner.scan(CARD)
            wait_until(lambda: log.exists() and "member screen: member 1" in log.read_text(), 15,
                       "the member screen")
            central.set_fault("book", latency_ms=(2500, 2500))  # the shelf check takes its time
            sent_before = central.requests().get("rental", 0)
            scanner.scan(HELD)
            wait_until(lambda: query(store, "SELECT status FROM outbox WHERE kind = 'rent'") == [("in_flight",)],
                       15, "the intent written and in flight")
            wait_until(lambda: central.requests().get("rental", 0) > sent_before, 15,
                       "the borrow sent (the central side is now working on it)")
            app.send_signal(signal.SIGKILL)
            app.wait(10)
        finally:
            if app.poll() is None:
                app.kill()
    [(key, told)] = query(store, "SELECT key, told FROM outbox WHERE kind = 'rent'")
    assert told == "asking", "the patron was told nothing"
    wait_until(lambda: central.key_counts().get(key) == 1, 10, "the central side applying the loan")
    central.clear_faults()
    drained = subprocess.run([str(BIN / "kiosk-sync"), "drain", "--timeout", "30"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert drained.returncode == 0, drained.stderr[-2000:]
    rows = query(store, "SELECT kind, status, told, compensates, key FROM outbox ORDER BY id")
    assert [(kind, status) for kind, status, *_ in rows] == [("rent", "delivered"), ("unrent", "delivered")]
    undo_key = rows[1][4]
    assert rows[1][3] == 1, "the unrent undoes the intent"
    assert central.key_counts() == {key: 1, undo_key: 1}, "each applied once"
    loans = httpx.get(f"{central.url}/rentals", params={"memberId": 1, "bookId": 1}).json()
    assert [(r["status"], r["fee"]) for r in loans] == [("reserved", 1000)]
