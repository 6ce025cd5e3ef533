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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--threshold", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        central = CentralServer(create_app(Path(tmp) / "central.db", faults_enabled=True)).start()
        central.set_fault("rental", latency_ms=(2000, 2000))
        try:
            timeouts, fast = asyncio.run(measure(central.url, Path(tmp) / "kiosk", args.count,
                                                 args.threshold))
        finally:
            central.stop()
    print("member lookup with the rental service slower than the 610 ms call timeout")
    print(f"{'':34} {'calls':>6} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    for name, samples in (("timed out (breaker closed)", timeouts), ("breaker open: Busy at once", fast)):
        print(f"{name:34} {len(samples):6d} {statistics.median(samples) * 1e3:10.3f} "
              f"{percentile(samples, 0.99) * 1e3:8.3f} {max(samples) * 1e3:8.3f}")
    print(f"ratio open/timeout (median): {statistics.median(fast) / statistics.median(timeouts):.5f}; "
          f"open p99 {percentile(fast, 0.99) * 1e3:.3f} ms (target < 5 ms)")


if __name__ == "__main__":
    main()
