"""Opening the store with its check (``Store.open``) against the bare open, same file, same run.

The store holds 10,000 outbox entries as a kiosk's does after a busy month: 9,000 delivered (each
with the answer kept for receipts) and 1,000 pending, written through the outbox's own append and
settle. The bare open (``Store.open(verify=False)``: connect, pragmas, schema check) and the checked
one (the same plus ``PRAGMA quick_check`` and ``PRAGMA integrity_check(outbox)``) alternate, so
both meet the same page cache (warm: the file was just written; a cold boot adds the disk reads of
one pass over the file, about 5 MB here). The two checks are also timed alone on an open
connection. Targets: none set by the issue; the added time is reported.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Figure, table
from kiosk_data.codes import ON_LOAN
from sync_agent.store.database import CHECKED_TABLE, Store
from sync_agent.store.outbox import Outbox, Settlement, Status

ANSWER = {"status": 200, "replayed": False,
          "body": {"id": 2, "memberId": 1, "bookId": 2, "barcode": ON_LOAN,
                   "status": "returned", "fine": 0}}


def build(path: Path, entries: int, delivered: int) -> None:
    store = Store.open(path)
    outbox = Outbox(store, "kiosk-01")
    for index in range(entries):
        outbox.append_return(f"30042{index:09d}", datetime.now(UTC))
    while True:
        claimed = outbox.claim("bench", limit=500, lease_s=60)
        todo = [entry for entry in claimed if entry.id <= delivered]
        outbox.settle("bench", [Settlement(entry.id, Status.DELIVERED, response=ANSWER) for entry in todo])
        outbox.release_claims("bench")
        if not todo:
            break
    counts = outbox.counts()
    assert counts["delivered"] == delivered and counts["pending"] == entries - delivered, counts
    store.close()


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        path = Path(folder) / "kiosk.sqlite3"
        build(path, args.entries, args.entries * 9 // 10)
        size_mb = path.stat().st_size / 1e6
        bare: list[float] = []
        checked: list[float] = []
        quick: list[float] = []
        index: list[float] = []
        for _ in range(args.rounds):  # interleaved: the same cache and disk for both
            bare.append(timed(lambda: Store.open(path, verify=False).close()))
            checked.append(timed(lambda: Store.open(path).close()))
            store = Store.open(path, verify=False)
            conn = store.conn
            quick.append(timed(lambda: conn.execute("PRAGMA quick_check").fetchall()))
            index.append(timed(lambda: conn.execute(f"PRAGMA integrity_check({CHECKED_TABLE})").fetchall()))
            store.close()
    ms = lambda samples: statistics.median(samples) * 1e3  # noqa: E731 - a one-line unit for the table below
    base = "bare open (no check)"
    what = f"{args.entries:,} entries, {size_mb:.1f} MB"
    return [
        Figure(f"open with the check, median ({what})", ms(checked), "ms", base, ms(bare)),
        Figure("time the check adds to an open, median", ms(checked) - ms(bare), "ms", base, ms(bare)),
        Figure("open with the check, worst of the run", max(checked) * 1e3, "ms", base, max(bare) * 1e3),
        Figure("  of which PRAGMA quick_check (whole file), median", ms(quick), "ms"),
        Figure(f"  of which PRAGMA integrity_check({CHECKED_TABLE}), median", ms(index), "ms"),
    ]


def main() -> None:
    print(table("store open with its check, against the bare open (same file, interleaved)", figures()))


if __name__ == "__main__":
    main()
