"""A drain over SIP2 SIGKILLed while answers are in hand but not yet written: SIP2 has no
idempotency key, so an entry the ACS applied and the store still shows in flight must be settled
by the item's state (17) when the next drain finds it, never checked in a second time.

Real processes: the fake ACS in its own process, `kiosk-sync drain` killed and run again, one
SQLite file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk_testing.pty_kiosk import item_codes
from kiosk_testing.sip2_load import PASSWORD, USER, AcsProcess, Load
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox

BIN = Path(sys.executable).parent
COPIES = 3000
TRIES = 5


def statuses(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


def kill_with_answers_unwritten(env: dict[str, str], db: Path, acs: AcsProcess) -> bool:
    """Start a drain and SIGKILL it mid-way; True if the ACS had applied checkins the store did
    not show as delivered when it died."""
    drain = subprocess.Popen([str(BIN / "kiosk-sync"), "drain", "--timeout", "60"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        before = statuses(db).get("delivered", 0)
        deadline = time.monotonic() + 10
        while statuses(db).get("delivered", 0) < before + 200 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.kill(drain.pid, signal.SIGKILL)
        drain.wait(10)
    return sum(acs.applied().values()) > statuses(db).get("delivered", 0)


def test_a_killed_drain_settles_answered_checkins_by_the_items_state(tmp_path) -> None:
    copies = item_codes(COPIES, start=700_000)
    acs = AcsProcess(Load(tuple(copies), on_loan=COPIES))
    data = tmp_path / "kiosk"
    env = dict(os.environ, KIOSK_ID="kiosk-kill", KIOSK_DATA_DIR=str(data), KIOSK_CENTRAL="sip2",
               KIOSK_SIP2_HOST="127.0.0.1", KIOSK_SIP2_PORT=str(acs.port), KIOSK_SIP2_USER=USER,
               KIOSK_SIP2_PASSWORD=PASSWORD, KIOSK_SIP2_INSTITUTION="0042",
               KIOSK_SIP2_LOCATION="kill", KIOSK_RELAY_PARALLELISM="32")
    try:
        data.mkdir()
        store = Store.open(data / "kiosk.sqlite3")  # Settings.db_path
        outbox = Outbox(store, "kiosk-kill")
        dropped = datetime.now(UTC) - timedelta(hours=2)
        for barcode in copies:
            outbox.append_return(barcode, dropped)
        db = store.path
        store.close()

        assert any(kill_with_answers_unwritten(env, db, acs) for _ in range(TRIES)), (
            "no kill landed between an answer and its settlement")
        finished = subprocess.run([str(BIN / "kiosk-sync"), "drain", "--timeout", "120"], env=env,
                                  capture_output=True, text=True, timeout=180)
        assert finished.returncode == 0, finished.stderr[-2000:]

        applied = acs.applied()
        assert statuses(db) == {"delivered": COPIES}  # none "declined" by a second checkin's refusal
        assert all(applied.get(f"checkin:{barcode}") == 1 for barcode in copies)
    finally:
        acs.stop()
