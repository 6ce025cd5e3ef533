"""The fleet: 50 kiosks drain their outage backlogs into one stand-in at the same moment.

Each kiosk is a real ``kiosk-sync drain`` process with its own SQLite store (its own file, epoch
and idempotency keys) holding the returns it took while the central side was away; the stand-in
is a real ``kiosk-backend`` process on a database where every one of those copies is on loan.
Processes rather than 50 ``Relay`` objects in one event loop: in a library each kiosk is its own
machine with its own agent, connection pool and fsyncs, and one loop would hide the cost of 50
of each. All 51 processes share this machine's cores, so the figure is a floor: the real stand-in
does not share its CPU with the kiosks.

Figures: time until the last kiosk's outbox is empty (from the launch, Python start-up
included); the fleet's throughput over its delivery window (from the first agent's drain start to
the last one's end, so 50 interpreters starting on two cores are not counted as delivery time);
requests the stand-in received per return (1.0 = nothing re-sent); duplicates (keys applied
twice or copies returned twice; must be 0) and dead letters (must be 0). Baseline: a plain httpx
loop in one process with the fleet's total concurrency (kiosks x ``relay_parallelism``), sending
the same returns with fresh keys to an identically prepared stand-in.

Each agent paces itself (``sync_agent.agent.pacing``): its window starts at one delivery, grows with
successes up to ``relay_parallelism`` and halves on timeouts and 503/429, and its breaker stays
closed, since the stand-in is overloaded, not gone. Before, timeouts under this load opened every
agent's breaker and the 30 s reset set the fleet's pace (18 returns/s, 0.06 of the baseline).
Then, with a window that could not go below one delivery, 50 requests were always queued at a
stand-in answering about 75 a second: each waited past the call timeout and was sent again (3.16
requests per return, 0.46 of the baseline). The window now falls below one, as a pause between
sends, so the fleet keeps fewer requests at the stand-in than it has kiosks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.report import Figure, table
from kiosk_testing.processes import BIN, stand_in
from kiosk_testing.returns_load import barcode, prepare_central, send_returns
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox


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


def fleet_drain(envs: list[dict[str, str]], url: str, timeout_s: float,
                log: Path) -> tuple[float, float, list[int], int]:
    """Start every agent at once; (seconds until the last exits, seconds from the first drain
    start to the last exit, exit codes, dead letters reported)."""
    started = time.perf_counter()
    with log.open("ab") as errors:
        agents = [subprocess.Popen([str(BIN / "kiosk-sync"), "drain", "--timeout", str(timeout_s)],
                                   env=dict(os.environ, KIOSK_API_URL=url, **env),
                                   stdout=subprocess.PIPE, stderr=errors) for env in envs]

        def finish(agent: subprocess.Popen[bytes]) -> tuple[float, int, dict[str, float]]:
            out, _ = agent.communicate()
            ended = time.perf_counter()
            return ended, agent.returncode, json.loads(out or b"{}")

        with ThreadPoolExecutor(len(agents)) as pool:
            results = list(pool.map(finish, agents))
    last = max(ended for ended, _code, _report in results)
    first_start = min(ended - report.get("elapsed_s", ended - started) for ended, _c, report in results)
    dead = sum(int(report.get("dead_letters", 0)) for _e, _c, report in results)
    return last - started, last - first_start, [code for _e, code, _r in results], dead


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--per-kiosk", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)
    total = args.kiosks * args.per_kiosk
    concurrency = args.kiosks * Settings().relay_parallelism
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        for name in ("fleet", "plain"):
            prepare_central(folder / f"{name}.db", total)
        envs = fill_stores(folder, args.kiosks, args.per_kiosk)
        plain, url = stand_in(folder / "plain.db", folder / "plain.log")
        try:
            plain_s, plain_ok = asyncio.run(send_returns(url, total, concurrency))
        finally:
            plain.stop()
        central, url = stand_in(folder / "fleet.db", folder / "fleet.log")
        try:
            to_empty, window, codes, dead = fleet_drain(envs, url, args.timeout, folder / "agents.log")
            returned, duplicates = outcome(url, "fleet-")
            sent = httpx.get(f"{url}/admin/requests", timeout=60).json().get("rental", 0)
        finally:
            central.stop()
        transport_errors = (folder / "agents.log").read_text(errors="replace").count("Error")
    failed = sum(code != 0 for code in codes)
    base = f"plain httpx loop, {concurrency} at a time, one process"
    throughput = returned / window
    return [
        Figure(f"{args.kiosks} kiosk-sync drains of {args.per_kiosk} returns each: until the last "
               f"outbox is empty (start-up included)", to_empty, "s", base, plain_s),
        Figure("fleet throughput over its delivery window", throughput, "returns/s", base,
               plain_ok / plain_s, "ratio >= 0.8", throughput >= 0.8 * plain_ok / plain_s),
        Figure("requests to the stand-in per return applied", sent / max(returned, 1), ""),
        Figure(f"fleet returns applied (of {total:,}; {failed} agents exited non-zero)", returned, "",
               target=f"all {total:,}", met=returned == total and failed == 0),
        Figure("fleet duplicates (keys or copies applied twice)", duplicates, "", target="0",
               met=duplicates == 0),
        Figure("fleet dead letters", dead, "", target="0", met=dead == 0),
        Figure("error lines in the agents' logs", transport_errors, ""),
    ]


def main(argv: list[str] | None = None) -> None:
    print(table("the fleet: kiosks draining into one stand-in at once", figures(argv)))


if __name__ == "__main__":
    main()
