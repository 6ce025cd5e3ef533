"""Drain after an outage: 10,000 pending returns delivered by the relay to the local stand-in.

The stand-in runs in its own process (as the central side would) on a database where 10,000 extra
copies are on loan. The kiosk appends one return per copy while the central side is away, then the
relay drains them: wall time, events per second, duplicates (keys applied more than once, or
copies returned more than once; must be 0). The baseline is a plain httpx loop sending the same
requests (same bodies, fresh keys) to an identically prepared stand-in, one after another and
with the relay's parallelism. Target: drain under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from backend_stub.app import create_app
from backend_stub.db import stamp
from backend_stub.server import CentralServer
from sync_agent.client import CentralClient
from sync_agent.outbox import Outbox
from sync_agent.relay import Relay
from sync_agent.settings import Settings
from sync_agent.store import Store

FIRST_ID = 100_000


def barcode(index: int) -> str:
    return f"3004210{index:07d}"


def prepare_central(db_path: Path, count: int) -> None:
    """A stand-in database with ``count`` extra copies on loan to member 6."""
    app = create_app(db_path)
    db = app.state.stand_in.db
    now = datetime.now(UTC)
    with db.transaction() as conn:
        conn.executemany("INSERT INTO books (id, barcode, isbn, title, author, status, updated_at) "
                         "VALUES (?, ?, '9780000000000', ?, 'Bench', 'rented', ?)",
                         [(FIRST_ID + i, barcode(i), f"Bench copy {i}", stamp(now)) for i in range(count)])
        conn.executemany("INSERT INTO rentals (member_id, book_id, status, rented_at, due_at) "
                         "VALUES (6, ?, 'rented', ?, ?)",
                         [(FIRST_ID + i, stamp(now - timedelta(days=1)), stamp(now + timedelta(days=13)))
                          for i in range(count)])
    db.close()


def _serve(db_path: Path, port: int, ready) -> None:  # noqa: ANN001 - a multiprocessing Event
    CentralServer(create_app(db_path, faults_enabled=True), port=port).start()
    ready.set()
    while True:
        time.sleep(3600)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Central:
    """A stand-in in a child process."""

    def __init__(self, db_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ready = multiprocessing.Event()
        self.process = multiprocessing.Process(target=_serve, args=(db_path, self.port, ready), daemon=True)
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the stand-in did not start")

    def duplicates(self) -> int:
        """Applications beyond the first of a key, plus copies returned more than once."""
        applied = httpx.get(f"{self.url}/admin/idempotency", timeout=60).json()
        returned = httpx.get(f"{self.url}/rentals", params={"memberId": 6, "status": "returned"},
                             timeout=60).json()
        bench_returns = [r for r in returned if r["bookId"] >= FIRST_ID]
        over = sum(times - 1 for times in applied.values() if times > 1)
        return over + len(bench_returns) - len({r["bookId"] for r in bench_returns})

    def returned(self) -> int:
        rows = httpx.get(f"{self.url}/rentals", params={"memberId": 6, "status": "returned"},
                         timeout=60).json()
        return sum(r["bookId"] >= FIRST_ID for r in rows)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


async def relay_drain(folder: Path, central_db: Path, count: int, parallelism: int) -> dict:
    settings = Settings(id="kiosk-bench", data_dir=folder / "kiosk", api_url="http://127.0.0.1:9",
                        relay_parallelism=parallelism, call_timeout_ms=5000)
    store = Store.open(settings.db_path)
    outbox = Outbox(store, settings.id)
    now = datetime.now(UTC)
    for index in range(count):  # the central side is away: returns pile up
        outbox.append_return(barcode(index), now)
    central = Central(central_db)
    settings = settings.model_copy(update={"api_url": central.url})
    try:
        async with CentralClient(settings, store, owner="agent") as client:
            relay = Relay(store, client, settings)
            started = time.perf_counter()
            result = await relay.drain(600)
            wall = time.perf_counter() - started
        return {"wall": wall, "delivered": result.delivered, "left": result.pending + result.in_flight,
                "dead": result.dead, "duplicates": central.duplicates(), "returned": central.returned()}
    finally:
        central.stop()
        store.close()


async def plain_loop(central_db: Path, count: int, parallelism: int) -> dict:
    central = Central(central_db)
    now = datetime.now(UTC).isoformat()
    try:
        async with httpx.AsyncClient(base_url=central.url, timeout=5) as http:
            async def worker(indices: range) -> int:
                ok = 0
                for index in indices:
                    response = await http.post("/kiosk/returns", json={
                        "barcode": barcode(index), "kioskNo": "kiosk-bench", "occurredAt": now},
                        headers={"Idempotency-Key": f"plain:{uuid.uuid4()}"})
                    ok += response.status_code == 200
                return ok

            started = time.perf_counter()
            oks = await asyncio.gather(*(worker(range(w, count, parallelism)) for w in range(parallelism)))
            wall = time.perf_counter() - started
        return {"wall": wall, "delivered": sum(oks), "left": count - sum(oks), "dead": 0,
                "duplicates": central.duplicates(), "returned": central.returned()}
    finally:
        central.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--parallelism", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        for name in ("relay", "plain1", "plainN"):
            prepare_central(folder / f"{name}.db", args.count)
        rows = [
            ("plain httpx loop, 1 at a time", asyncio.run(plain_loop(folder / "plain1.db", args.count, 1))),
            (f"plain httpx loop, {args.parallelism} at a time",
             asyncio.run(plain_loop(folder / "plainN.db", args.count, args.parallelism))),
            (f"relay drain (parallelism {args.parallelism})",
             asyncio.run(relay_drain(folder, folder / "relay.db", args.count, args.parallelism))),
        ]
    print(f"drain of {args.count} returns to the local stand-in (own process), after an outage")
    print(f"{'':36} {'wall s':>8} {'events/s':>9} {'delivered':>10} {'left':>6} {'dups':>5} {'returned':>9}")
    for name, row in rows:
        print(f"{name:36} {row['wall']:8.2f} {row['delivered'] / row['wall']:9.0f} {row['delivered']:10d} "
              f"{row['left']:6d} {row['duplicates']:5d} {row['returned']:9d}")
    relay, sequential, parallel = rows[2][1], rows[0][1], rows[1][1]
    rate = relay["delivered"] / relay["wall"]
    print(f"ratio relay/plain loop: {rate / (sequential['delivered'] / sequential['wall']):.2f} (1 at a time), "
          f"{rate / (parallel['delivered'] / parallel['wall']):.2f} ({args.parallelism} at a time); "
          f"target: wall < 30 s, duplicates 0")


if __name__ == "__main__":
    main()
