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
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from backend_stub.app import create_app
from backend_stub.readiness import free_port
from backend_stub.server import CentralServer
from bench.report import Figure, table
from kiosk_testing.returns_load import FIRST_ID, barcode, prepare_central, send_returns
from sync_agent.agent.relay import Relay
from sync_agent.central.rest.client import CentralClient
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox
from sync_agent.store.status import breaker_recorder


def _serve(db_path: Path, port: int, ready) -> None:  # ready: a multiprocessing Event
    CentralServer(create_app(db_path, faults_enabled=True), port=port).start()
    ready.set()
    while True:
        time.sleep(3600)


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
        async with CentralClient(settings, owner="agent") as client:
            client.breakers.report_to(breaker_recorder(store, "agent"))  # as kiosk-sync and the app do
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
    try:
        wall, delivered = await send_returns(central.url, count, parallelism)
        return {"wall": wall, "delivered": delivered, "left": count - delivered, "dead": 0,
                "duplicates": central.duplicates(), "returned": central.returned()}
    finally:
        central.stop()


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--parallelism", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        for name in ("relay", "plainN"):
            prepare_central(folder / f"{name}.db", args.count)
        plain = asyncio.run(plain_loop(folder / "plainN.db", args.count, args.parallelism))
        relay = asyncio.run(relay_drain(folder, folder / "relay.db", args.count, args.parallelism))
    base = f"plain httpx loop, {args.parallelism} at a time"
    ok = relay["left"] == 0 and relay["duplicates"] == 0 and relay["returned"] == args.count
    return [
        Figure(f"drain {args.count:,} returns, wall", relay["wall"], "s", base, plain["wall"],
               "< 30 s", relay["wall"] < 30 and ok),
        Figure("drain throughput", relay["delivered"] / relay["wall"], "events/s", base,
               plain["delivered"] / plain["wall"]),
        Figure("drain duplicates (keys or copies applied twice)", relay["duplicates"], "",
               target="0", met=relay["duplicates"] == 0),
        Figure("drain left undelivered", relay["left"] + relay["dead"], "", target="0",
               met=relay["left"] + relay["dead"] == 0),
    ]


def main() -> None:
    print(table("drain after an outage, to the local stand-in in its own process", figures()))


if __name__ == "__main__":
    main()
