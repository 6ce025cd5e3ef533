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

from sync_agent.outbox import Outbox
from sync_agent.store import Store


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
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
    rows = [("raw sqlite3 insert+commit", raw), ("Outbox.append_return", ours)]
    print(f"durable append, {len(ours)} each in {args.rounds} interleaved rounds, "
          "WAL + synchronous=FULL, same disk")
    print(f"{'':28} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'per s':>8}")
    for name, samples in rows:
        print(f"{name:28} {statistics.median(samples) * 1e3:10.3f} {percentile(samples, 0.99) * 1e3:8.3f} "
              f"{max(samples) * 1e3:8.3f} {len(samples) / sum(samples):8.0f}")
    ratio = (len(ours) / sum(ours)) / (len(raw) / sum(raw))
    print(f"throughput ratio outbox/raw: {ratio:.2f}  (target >= 0.8)   "
          f"outbox p99: {percentile(ours, 0.99) * 1e3:.2f} ms (target < 5)")


if __name__ == "__main__":
    main()
