"""Resident memory of the app across scans (target: < 120 MB after 1,000 scans, and not growing
across a second 1,000).

    .venv/bin/python -m bench.app_memory [--scans 1000] [--visit 20]

Scans go through the real pty with the central API down (every one a durable return); a visit ends
every ``--visit`` returns, as patrons' visits do. Baselines, in the same run: the interpreter with
the app's modules imported, and the app started and idle before the first scan.
"""

from __future__ import annotations

import argparse
import asyncio
import gc

from bench.report import Figure, table
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_testing.pty_kiosk import item_codes, kiosk_on_pty, pid_note, rss_mb
from kiosk_testing.waiting import wait_until_async

TARGET_MB = 120.0


async def measure(scans: int, visit: int, batches: int) -> list[tuple[str, float]]:
    figures = [("baseline: interpreter with the app imported", rss_mb())]
    codes = item_codes(batches * scans)
    async with kiosk_on_pty() as (app, scanner, _pilot):
        figures.append(("baseline: app started, idle", rss_mb()))
        for number in range(1, batches + 1):
            for index, code in enumerate(codes[(number - 1) * scans:number * scans], 1):
                done = len(app.session.returns)
                scanner.scan(code)
                await wait_until_async(lambda: len(app.session.returns) > done)
                if index % visit == 0:
                    app.end_session()
                    await wait_until_async(lambda: app.session.is_empty and isinstance(app.screen, WelcomeScreen))
            await app.drain()
            gc.collect()
            figures.append((f"app after {number * scans:,} scans", rss_mb()))
    return figures


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--visit", type=int, default=20)
    parser.add_argument("--batches", type=int, default=2, help="rounds of --scans scans (2 or more)")
    args = parser.parse_args(argv)
    rows = asyncio.run(measure(args.scans, args.visit, max(2, args.batches)))
    idle_name, idle = rows[1]
    first, last = rows[2][1], rows[-1][1]
    result = [Figure(name, value, "MB RSS", idle_name, idle) for name, value in rows[2:]]
    result[0] = Figure(rows[2][0], first, "MB RSS", idle_name, idle, f"< {TARGET_MB:.0f} MB",
                       first < TARGET_MB)
    result.append(Figure(f"growth after the first {args.scans:,} scans", last - first, "MB",
                         target="flat (< 5%)", met=last - first < 0.05 * first))
    return result


def main() -> None:
    print(table(f"resident memory, central API down ({pid_note()})", figures()))


if __name__ == "__main__":
    main()
