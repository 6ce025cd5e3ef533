"""Durable append: ``Outbox.append_return`` against a raw sqlite3 insert+commit loop.

Both write to the same disk with the same pragmas (WAL, synchronous=FULL) in the same run; the raw
loop inserts an equally sized row into a bare table, so the ratio shows what the outbox adds
(JSON payload, key, unique index, member lookup, read model) on top of the fsync both pay.
Targets: p99 under 5 ms, throughput ratio 0.8 or better.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Figure, table
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class OutboxAppends:
    def __init__(self, folder: Path) -> None:
        self.outbox = Outbox(Store.open(folder / "kiosk.sqlite3"), "kiosk-01")
        self.index = 0

    def run(self, count: int) -> list[float]:
        samples = []
        for _ in range(count):
            self.index += 1
            started = time.perf_counter()
            self.outbox.append_return(f"30042{self.index:09d}", datetime.now(UTC))
            samples.append(time.perf_counter() - started)
        return samples


class RawInserts:
    def __init__(self, folder: Path) -> None:
        self.conn = sqlite3.connect(folder / "raw.sqlite3", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, key TEXT, payload TEXT)")
        self.index = 0

    def run(self, count: int) -> list[float]:
        samples = []
        for _ in range(count):
            self.index += 1
            payload = json.dumps({"barcode": f"30042{self.index:09d}", "kioskNo": "kiosk-01",
                                  "occurredAt": datetime.now(UTC).isoformat()})
            started = time.perf_counter()
            self.conn.execute("BEGIN")
            self.conn.execute("INSERT INTO entries (key, payload) VALUES (?, ?)",
                              (str(uuid.uuid4()), payload))
            self.conn.execute("COMMIT")
            samples.append(time.perf_counter() - started)
        return samples


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    raw: list[float] = []
    ours: list[float] = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        raw_loop, outbox_loop = RawInserts(Path(folder)), OutboxAppends(Path(folder))
        chunk = max(1, args.count // args.rounds)
        for _ in range(args.rounds):  # interleaved, so disk noise from elsewhere hits both alike
            raw += raw_loop.run(chunk)
            ours += outbox_loop.run(chunk)
        outbox_loop.outbox.store.close()
        raw_loop.conn.close()
    raw_rate, our_rate = len(raw) / sum(raw), len(ours) / sum(ours)
    p99 = percentile(ours, 0.99) * 1e3
    base = "raw sqlite3 insert+commit"
    return [
        Figure("outbox append, median", statistics.median(ours) * 1e3, "ms", base,
               statistics.median(raw) * 1e3),
        Figure("outbox append, p99", p99, "ms", base, percentile(raw, 0.99) * 1e3, "< 5 ms", p99 < 5),
        Figure("outbox appends per second", our_rate, "/s", base, raw_rate, "ratio >= 0.8",
               our_rate / raw_rate >= 0.8),
    ]


def main() -> None:
    print(table("durable append (WAL + synchronous=FULL, same disk, interleaved rounds)", figures()))


if __name__ == "__main__":
    main()
