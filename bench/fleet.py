"""The fleet: 50 kiosks drain their outage backlogs into one stand-in at the same moment.

Each kiosk is a real ``kiosk-sync drain`` process with its own SQLite store (its own file, epoch
and idempotency keys) holding the returns it took while the central side was away; the stand-in
is a real ``kiosk-backend`` process on a database where every one of those copies is on loan.
Processes rather than 50 ``Relay`` objects in one event loop: in a library each kiosk is its own
machine with its own agent, connection pool and fsyncs, and one loop would hide the cost of 50
of each. All 51 processes share this machine's cores, so the figure is a floor: the real stand-in
does not share its CPU with the kiosks.

Figures: wall time from launch to the last exit (start-up included), total throughput, and duplicates (keys applied twice or
copies returned twice; must be 0). Baseline: a plain httpx loop in one process, 50 requests at a
time, sending the same returns with fresh keys to an identically prepared stand-in.

What to expect on a small machine: 50 agents at their default parallelism of 4 put 200 requests in
flight; when the stand-in's answers pass the 610 ms call timeout, each agent's ``returns`` breaker
opens after 5 timeouts and waits its 30 s reset before claiming again, so the fleet's throughput is
set by those waits, not by the stand-in's speed. Nothing is lost or applied twice either way.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.processes import BIN, stand_in
from bench.report import Figure, table
from bench.sync_drain import barcode, prepare_central, send_returns
from sync_agent.outbox import Outbox
from sync_agent.store import Store

def outcome(url: str, prefix: str) -> tuple[int, int]:
    """(bench copies returned, duplicates: keys of ``prefix`` applied twice, copies returned twice)."""
    applied = httpx.get(f"{url}/admin/idempotency", timeout=120).json()
    returned = httpx.get(f"{url}/rentals", params={"memberId": 6, "status": "returned"},
                         timeout=120).json()
    books = [r["bookId"] for r in returned if r["barcode"].startswith("3004210")]
    over = sum(times - 1 for key, times in applied.items() if key.startswith(prefix) and times > 1)
    return len(set(books)), over + len(books) - len(set(books))


def fill_stores(folder: Path, kiosks: int, per_kiosk: int) -> list[dict[str, str]]:
    """Each kiosk's store with its share of returns; the environment of its agent."""
    now = datetime.now(UTC)
    envs = []
    for k in range(kiosks):
        data_dir = folder / f"kiosk-{k:02d}"
        store = Store.open(data_dir / "kiosk.sqlite3")
        outbox = Outbox(store, f"fleet-{k:02d}")
        for index in range(k * per_kiosk, (k + 1) * per_kiosk):
            outbox.append_return(barcode(index), now)
        store.close()
        envs.append({"KIOSK_ID": f"fleet-{k:02d}", "KIOSK_DATA_DIR": str(data_dir)})
    return envs


def fleet_drain(envs: list[dict[str, str]], url: str, timeout_s: float) -> tuple[float, list[int]]:
    started = time.perf_counter()
    agents = [subprocess.Popen([str(BIN / "kiosk-sync"), "drain", "--timeout", str(timeout_s)],
                               env=dict(os.environ, KIOSK_API_URL=url, **env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for env in envs]
    codes = [agent.wait() for agent in agents]
    return time.perf_counter() - started, codes


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--per-kiosk", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    total = args.kiosks * args.per_kiosk
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        for name in ("fleet", "plain"):
            prepare_central(folder / f"{name}.db", total)
        envs = fill_stores(folder, args.kiosks, args.per_kiosk)
        plain, url = stand_in(folder / "plain.db", folder / "plain.log")
        try:
            plain_s, plain_ok = asyncio.run(send_returns(url, total, args.kiosks))
        finally:
            plain.stop()
        central, url = stand_in(folder / "fleet.db", folder / "fleet.log")
        try:
            wall, codes = fleet_drain(envs, url, args.timeout)
            returned, duplicates = outcome(url, "fleet-")
        finally:
            central.stop()
    failed = sum(code != 0 for code in codes)
    base = f"plain httpx loop, {args.kiosks} at a time, one process"
    return [
        Figure(f"{args.kiosks} kiosk-sync drains of {args.per_kiosk} returns each, wall "
               f"(start-up included)", wall, "s", base, plain_s),
        Figure("fleet throughput into one stand-in", returned / wall, "returns/s", base, plain_ok / plain_s),
        Figure(f"fleet returns applied (of {total:,}; {failed} agents exited non-zero)", returned, "",
               target=f"all {total:,}", met=returned == total and failed == 0),
        Figure("fleet duplicates (keys or copies applied twice)", duplicates, "", target="0",
               met=duplicates == 0),
    ]


def main(argv: list[str] | None = None) -> None:
    print(table("the fleet: kiosks draining into one stand-in at once", figures(argv)))


if __name__ == "__main__":
    main()
