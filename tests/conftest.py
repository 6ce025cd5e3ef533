"""Shared fixtures. ``central``: the central API stand-in on a real socket.

Usage::

    def test_something(central):
        httpx.get(f"{central.url}/members/20042000000016")   # real HTTP on 127.0.0.1
        central.set_fault("book", down=True)                   # 503 + Retry-After from book
        central.set_fault("payment", latency_ms=(400, 620))    # the seed's slow service
        central.set_fault("rental", error_rate=0.5, drop_rate=0.2)
        central.clear_faults()
        central.key_counts()        # {"<Idempotency-Key>": times applied (1 however often sent)}
        central.advance_clock(4 * 86400)   # holds expire, fines grow, without waiting
        central.backlog()           # {"book-status": events not yet applied, ...}
        central.stop(); central.start()    # whole API unreachable, then back on the same port

Each test gets a fresh SQLite database in ``tmp_path`` with the demo library (data/*.json),
faults enabled (the /admin API), no bearer token, and fault randomness seeded with 0.
``central.app.state.stand_in`` is the running ``StandIn`` for direct inspection. Start-up takes
a few tens of milliseconds.
"""

from __future__ import annotations

import pytest

from backend_stub.app import create_app
from backend_stub.server import CentralServer


@pytest.fixture
def central(tmp_path):
    server = CentralServer(create_app(tmp_path / "central.db", faults_enabled=True, seed=0))
    server.start()
    yield server
    server.stop()
    server.app.state.stand_in.db.close()
