"""Breaker fast-fail: how quickly an open breaker answers Busy, against the call timeout it spares,
and how many calls a half-open breaker lets through while patrons keep asking.

A real stand-in (in this process) has its rental service slowed beyond the call timeout (610 ms,
the seed's figure); a few calls time out and open the lending breaker (``breaker_sustained_s=0``:
here the timeouts stand for a dead service, not for load); then every call answers
from the breaker without touching the network. The baseline is the same call timing out, measured
in the same run. Target: p99 under 5 ms.

Patrons under load: 20 patrons at once keep looking up their cards (one every 20 ms each) for a
few seconds while every call the central side gets times out. The breaker opens, and after each
reset exactly one trial call may reach the stand-in (counted there); every other patron gets the
fallback. Targets: the fallback's p99 at most 10 ms, and one trial per reset (trials / half-open
periods = 1), not one per patron.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

from backend_stub.app import create_app
from backend_stub.server import CentralServer
from bench.report import Figure, table
from bench.sync_append import percentile
from kiosk_data.codes import KIM
from sync_agent.central.rest.client import Busy, CentralClient, InDoubt
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.status import breaker_recorder


async def measure(url: str, folder: Path, count: int, threshold: int) -> tuple[list[float], list[float]]:
    settings = Settings(id="kiosk-bench", data_dir=folder, api_url=url, call_timeout_ms=610,
                        breaker_failure_threshold=threshold, breaker_reset_s=3600,
                        breaker_sustained_s=0)  # every timeout counts: open after ``threshold``
    store = Store.open(settings.db_path)
    timeouts, fast = [], []
    async with CentralClient(settings, owner="app") as client:
        client.breakers.report_to(breaker_recorder(store, "app"))  # as kiosk-sync and the app do
        for _ in range(threshold):  # these time out and open the breaker
            started = time.perf_counter()
            result = await client.member_by_card(KIM)
            timeouts.append(time.perf_counter() - started)
            assert isinstance(result, InDoubt) and result.reason == "timeout", result
        for _ in range(count):
            started = time.perf_counter()
            result = await client.member_by_card(KIM)
            fast.append(time.perf_counter() - started)
            assert isinstance(result, Busy) and result.reason == "breaker_open", result
    store.close()
    return timeouts, fast


class _HalfOpenCount(logging.Handler):
    """Counts the breaker's moves to half-open, from its own log lines."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.getMessage().endswith("-> half-open")


async def patrons_under_load(central: CentralServer, folder: Path, patrons: int,
                             seconds: float) -> tuple[list[float], int, int]:
    """(fallback answer times, half-open periods, calls that reached the stand-in) of ``patrons``
    asking at once for ``seconds`` once the breaker is open."""
    url = central.url
    settings = Settings(id="kiosk-bench", data_dir=folder, api_url=url, call_timeout_ms=610,
                        breaker_failure_threshold=5, breaker_sustained_s=0, breaker_reset_s=0.5)
    half_opens = _HalfOpenCount()
    logging.getLogger("sync_agent.central.breakers").addHandler(half_opens)
    fallbacks: list[float] = []
    async with CentralClient(settings) as client:
        while not client.breakers.is_open("lending"):
            await client.member_by_card(KIM)
        before = central.requests()["rental"]
        deadline = time.perf_counter() + seconds

        async def patron() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                result = await client.member_by_card(KIM)
                if isinstance(result, Busy) and result.reason == "breaker_open":
                    fallbacks.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

        await asyncio.gather(*(patron() for _ in range(patrons)))
    logging.getLogger("sync_agent.central.breakers").removeHandler(half_opens)
    return fallbacks, half_opens.count, central.requests()["rental"] - before


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--patrons", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        central = CentralServer(create_app(Path(tmp) / "central.db", faults_enabled=True)).start()
        central.set_fault("rental", latency_ms=(2000, 2000))
        try:
            timeouts, fast = asyncio.run(measure(central.url, Path(tmp) / "kiosk", args.count,
                                                 args.threshold))
            loaded, half_opens, trials = asyncio.run(patrons_under_load(
                central, Path(tmp) / "load", args.patrons, args.seconds))
        finally:
            central.stop()
    loaded_p99 = percentile(loaded, 0.99) * 1e3
    p99 = percentile(fast, 0.99) * 1e3
    base = "the same call timing out (610 ms)"
    return [
        Figure("open breaker answers Busy, median", statistics.median(fast) * 1e3, "ms", base,
               statistics.median(timeouts) * 1e3),
        Figure("open breaker answers Busy, p99", p99, "ms", base, percentile(timeouts, 0.99) * 1e3,
               "< 5 ms", p99 < 5),
        Figure(f"fallback with {args.patrons} patrons asking at once, p99 (n={len(loaded):,})",
               loaded_p99, "ms", base, percentile(timeouts, 0.99) * 1e3, "<= 10 ms", loaded_p99 <= 10),
        Figure(f"trial calls per half-open period ({trials} trials, {half_opens} periods, "
               f"{args.patrons} patrons)", trials / max(half_opens, 1), "", target="1 (not one per patron)",
               met=half_opens > 0 and trials == half_opens),
    ]


def main() -> None:
    print(table("member lookup with the rental service slower than the 610 ms call timeout", figures()))


if __name__ == "__main__":
    main()
