"""The relay's drain over one SIP2 connection: outcomes are written in few transactions (group
commit), each run in a thread while the next checkins are on the wire.

Real parts: the fake ACS in its own process on a real socket, the SIP2 adapter, SQLite on disk.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

from kiosk_testing.pty_kiosk import item_codes
from kiosk_testing.sip2_load import PASSWORD, USER, AcsProcess, Load
from sync_agent.agent.relay import ATTEMPTS_PER_CLAIM, MAX_IN_CLAIM_WAIT_S, Relay
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.central.sip2.connection import Sip2Connection
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox

COPIES = 400
WINDOW = 32
SLOW_COMMIT_S = 0.002
"""Each claim-and-settle transaction takes at least this long (an fsync on an SD card)."""


async def test_outcomes_are_written_together_while_the_next_checkins_are_on_the_wire(tmp_path,
                                                                                    monkeypatch):
    copies = item_codes(COPIES, start=800_000)
    acs = AcsProcess(Load(tuple(copies), on_loan=COPIES))
    settings = Settings(id="kiosk-gc", data_dir=tmp_path / "kiosk", central="sip2",
                        sip2_host="127.0.0.1", sip2_port=acs.port, sip2_user=USER,
                        sip2_password=PASSWORD, sip2_institution="0042", sip2_location="gc",
                        relay_parallelism=WINDOW)
    store = Store.open(settings.db_path)
    outbox = Outbox(store, settings.id)
    for barcode in copies:
        outbox.append_return(barcode, datetime.now(UTC) - timedelta(hours=2))

    transactions: list[tuple[float, float, int]] = []  # start, end, settlements written
    exchanges: list[float] = []  # when each checkin went on the wire
    claim, exchange = Outbox.claim, Sip2Connection._exchange

    def slow_claim(self, owner, **options):
        assert threading.current_thread() is not threading.main_thread()  # never on the event loop
        started = time.monotonic()
        time.sleep(SLOW_COMMIT_S)
        taken = claim(self, owner, **options)
        transactions.append((started, time.monotonic(), len(list(options.get("settle", ())))))
        return taken

    async def timed_exchange(self, frame):
        if frame.command == "09":
            exchanges.append(time.monotonic())
        return await exchange(self, frame)

    monkeypatch.setattr(Outbox, "claim", slow_claim)
    monkeypatch.setattr(Sip2Connection, "_exchange", timed_exchange)
    try:
        async with Sip2Client(settings, owner="agent") as client:
            result = await Relay(store, client, settings).drain(60)
        assert result.delivered == COPIES and result.empty
        assert all(acs.applied().get(f"checkin:{barcode}") == 1 for barcode in copies)
    finally:
        acs.stop()
        store.close()

    writing = [(start, end) for start, end, written in transactions if written]
    overlapped = sum(any(start < sent < end for start, end in writing) for sent in exchanges)
    assert overlapped > COPIES / 10  # checkins went on while transactions were being written
    full = [written for _, _, written in transactions[8:] if written]  # once the window has grown
    assert statistics.median(full) >= WINDOW // 2  # half the window settled per transaction
    assert len(transactions) < 3 * COPIES / WINDOW


def test_a_claim_outlasts_the_window_queued_before_it_at_the_one_connection(tmp_path):
    settings = Settings(id="kiosk-gc", data_dir=tmp_path / "kiosk", central="sip2",
                        relay_parallelism=WINDOW, call_timeout_ms=5000)
    store = Store.open(settings.db_path)
    try:
        relay = Relay(store, Sip2Client(settings, owner="agent"), settings)
        every_try = ATTEMPTS_PER_CLAIM * (settings.call_timeout_ms / 1000 + MAX_IN_CLAIM_WAIT_S)
        assert relay.lease_s / 2 >= WINDOW * every_try  # the last queued, after all others' tries
    finally:
        store.close()
