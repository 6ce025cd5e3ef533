"""The kiosk's wall clock stepped back an hour under the running agent (a kiosk without a clock
battery boots with a wrong time until NTP corrects it): retries already due must not wait for
the wall clock to catch up. The real `kiosk-sync run` runs under libfaketime, whose offset is
read from a file the test rewrites; the monotonic clocks are left alone, as the kernel does."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from kiosk_testing.waiting import wait_until
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Status
from tests.sync.conftest import rented_barcodes

BIN = Path(sys.executable).parent


def test_retries_due_before_the_clock_stepped_back_an_hour_go_at_once(central, tmp_path: Path,
                                                                       libfaketime: Path) -> None:
    data = tmp_path / "kiosk"
    store = Store.open(data / "kiosk.sqlite3")
    outbox = Outbox(store, "kiosk-clock")
    returns = [outbox.append_return(barcode, datetime.now(UTC)) for barcode in rented_barcodes()[:2]]
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    env = dict(os.environ, KIOSK_ID="kiosk-clock", KIOSK_DATA_DIR=str(data), KIOSK_API_URL=central.url,
               KIOSK_METRICS_LISTEN="", KIOSK_BREAKER_RESET_S="1",
               LD_PRELOAD=str(libfaketime), FAKETIME_TIMESTAMP_FILE=str(offset), FAKETIME_NO_CACHE="1",
               FAKETIME_DONT_FAKE_MONOTONIC="1")
    central.set_fault("rental", down=True, retry_after=2)
    log = tmp_path / "agent.log"
    with log.open("wb") as out:
        agent = subprocess.Popen([str(BIN / "kiosk-sync"), "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: all(outbox.get(entry.id).attempts >= 1 for entry in returns), 30,
                   "both returns tried and scheduled again")
        offset.write_text("-1h\n")  # NTP, or a technician, steps the clock back
        central.clear_faults()
        stepped = time.monotonic()
        wait_until(lambda: all(outbox.get(entry.id).status is Status.DELIVERED for entry in returns), 120,
                   f"both returns delivered after the step:\n{log.read_text()[-1500:]}")
        took = time.monotonic() - stepped
    finally:
        agent.terminate()
        agent.wait(10)
        store.close()
    assert took < 30, f"{took:.1f} s: parked, not due at once (the backoff is at most a few seconds here)"
