"""Breaker fast-fail: how quickly an open breaker answers Busy, against the call timeout it spares.

A real stand-in (in this process) has its rental service slowed beyond the call timeout (610 ms,
the seed's figure); a few calls time out and open the lending breaker; then every call answers
from the breaker without touching the network. The baseline is the same call timing out, measured
in the same run. Target: p99 under 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from backend_stub.app import create_app
from bench.report import Figure, table
from bench.sync_append import percentile
from backend_stub.server import CentralServer
from sync_agent.client import Busy, CentralClient
from sync_agent.settings import Settings
from sync_agent.store import Store

CARD = "20042000000016"


async def measure(url: str, folder: Path, count: int, threshold: int) -> tuple[list[float], list[float]]:
    settings = Settings(id="kiosk-bench", data_dir=folder, api_url=url, call_timeout_ms=610,
                        breaker_failure_threshold=threshold, breaker_reset_s=3600)
    store = Store.open(settings.db_path)
    timeouts, fast = [], []
    async with CentralClient(settings, store, owner="app") as client:
        for _ in range(threshold):  # these time out and open the breaker
            started = time.perf_counter()
            result = await client.member_by_card(CARD)
            timeouts.append(time.perf_counter() - started)
            assert isinstance(result, Busy) and result.reason == "timeout", result
        for _ in range(count):
            started = time.perf_counter()
            result = await client.member_by_card(CARD)
            fast.append(time.perf_counter() - started)
            assert isinstance(result, Busy) and result.reason == "breaker_open", result
    store.close()
    return timeouts, fast


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--threshold", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        central = CentralServer(create_app(Path(tmp) / "central.db", faults_enabled=True)).start()
        central.set_fault("rental", latency_ms=(2000, 2000))
        try:
            timeouts, fast = asyncio.run(measure(central.url, Path(tmp) / "kiosk", args.count,
                                                 args.threshold))
        finally:
            central.stop()
    p99 = percentile(fast, 0.99) * 1e3
    base = "the same call timing out (610 ms)"
    return [
        Figure("open breaker answers Busy, median", statistics.median(fast) * 1e3, "ms", base,
               statistics.median(timeouts) * 1e3),
        Figure("open breaker answers Busy, p99", p99, "ms", base, percentile(timeouts, 0.99) * 1e3,
               "< 5 ms", p99 < 5),
    ]


def main() -> None:
    print(table("member lookup with the rental service slower than the 610 ms call timeout", figures()))


if __name__ == "__main__":
    main()
