"""A return scanned while the central API is down: bytes written to the scanner pty → the return
on screen, p50/p99 over N scans (target p99 < 50 ms).

    .venv/bin/python -m bench.app_return_latency [--scans 200]

"On screen" is the new row mounted in the return list after the outbox commit. Baselines, in the
same run: the same bytes read raw from a pty (os.read, the floor the driver sits on), and the
durable outbox append alone (SQLite WAL + synchronous=FULL, the floor of "never lose a return").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import tty
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Figure, table
from hardware.sim import encode_scan
from kiosk_testing.pty_kiosk import item_codes, kiosk_on_pty, percentile, pid_note, timed_return
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox

TARGET_P99_MS = 50.0


def raw_pty_ms(codes: list[str]) -> list[float]:
    master, slave = os.openpty()
    tty.setraw(slave)
    samples = []
    for code in codes:
        data = encode_scan(code)
        started = time.perf_counter()
        os.write(master, data)
        got = b""
        while not got.endswith(b"\r"):
            got += os.read(slave, 256)
        samples.append((time.perf_counter() - started) * 1000)
    os.close(master)
    os.close(slave)
    return samples


def append_ms(codes: list[str]) -> list[float]:
    store = Store.open(Path(tempfile.mkdtemp(prefix="kiosk-bench-")) / "kiosk.sqlite3")
    outbox = Outbox(store, "bench-01")
    samples = []
    for code in codes:
        started = time.perf_counter()
        outbox.append_return(code, datetime.now(UTC))
        samples.append((time.perf_counter() - started) * 1000)
    store.close()
    return samples


async def app_ms(codes: list[str]) -> list[float]:
    async with kiosk_on_pty() as (app, scanner, _pilot):
        return [await timed_return(app, scanner, code) for code in codes]


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=200)
    args = parser.parse_args(argv)
    codes = item_codes(args.scans)
    raw = raw_pty_ms(codes)
    append = append_ms(codes)
    app = asyncio.run(app_ms(codes))
    floor = statistics.median(raw) + statistics.median(append)
    base = "raw pty read + durable outbox append (medians)"
    p99 = percentile(app, 99)
    return [
        Figure(f"return on screen, central down, p50 of {args.scans}", statistics.median(app), "ms",
               base, floor),
        Figure(f"return on screen, central down, p99 of {args.scans}", p99, "ms", "raw pty read p99",
               percentile(raw, 99), f"< {TARGET_P99_MS:.0f} ms", p99 < TARGET_P99_MS),
    ]


def main() -> None:
    print(table(f"return latency, central API down ({pid_note()})", figures()))


if __name__ == "__main__":
    main()
