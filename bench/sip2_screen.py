"""Checkout and checkin on screen over SIP2: the real app (scanner pty, use-cases, SIP2 adapter,
Textual) against the fake ACS in its own process, p50/p99, beside a raw socket round trip of the
same message (one 11 or 09 frame written, its answer read) against the same ACS in the same run.

    .venv/bin/python -m bench.sip2_screen [--scans 100]

Checkout: one visit per copy, as ``bench.app_borrow_latency`` does: the patron's card (not timed,
63 for the member and the holds and loans), a pause a patron's hand takes, then the copy's bytes
→ its loan row drawn, after the outbox intent, the 11/12, the settlement and the redraw. Checkin:
the same copies scanned without a card → the return row on screen, after the item's state (17),
the durable append and the redraw (the 09 itself goes out right after, as for REST). Raw: the
same messages from one blocking socket, for other copies and patrons of the same ACS.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime

from bench.report import Figure, table
from kiosk_testing.pty_kiosk import item_codes, kiosk_on_pty, percentile, pid_note, timed_borrow, timed_return
from kiosk_testing.sip2_load import PASSWORD, USER, AcsProcess, Load, RawSip2, card

DUPLICATE_WINDOW_S = 1.6


def raw_ms(port: int, copies: list[str], first_patron: int) -> tuple[list[float], list[float]]:
    """Round trips of one 11 (checkout) and then one 09 (checkin) per copy, in ms."""
    raw = RawSip2(port)
    out, back = [], []
    for n, barcode in enumerate(copies, first_patron):
        started = time.perf_counter()
        answer = raw.checkout(card(n), barcode)
        out.append((time.perf_counter() - started) * 1000)
        assert answer.flag(0) == "1", answer
    for barcode in copies:
        started = time.perf_counter()
        answer = raw.checkin(barcode, datetime.now(UTC))
        back.append((time.perf_counter() - started) * 1000)
        assert answer.flag(0) == "1", answer
    raw.close()
    return out, back


async def app_ms(port: int, copies: list[str]) -> tuple[list[float], list[float]]:
    async with kiosk_on_pty(central="sip2", sip2_host="127.0.0.1", sip2_port=port, sip2_user=USER,
                            sip2_password=PASSWORD, sip2_institution="0042",
                            sip2_location="bench") as (app, scanner, _pilot):
        out = [await timed_borrow(app, scanner, card(n), barcode) for n, barcode in enumerate(copies)]
        await asyncio.sleep(DUPLICATE_WINDOW_S)  # the driver merges a code read twice within it
        back = [await timed_return(app, scanner, barcode) for barcode in copies]
    return out, back


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=100)
    args = parser.parse_args(argv)
    copies = item_codes(2 * args.scans, start=600_000)
    mine, others = copies[:args.scans], copies[args.scans:]
    acs = AcsProcess(Load(tuple(copies), patrons=2 * args.scans))
    try:
        raw_out, raw_back = raw_ms(acs.port, others, first_patron=args.scans)
        app_out, app_back = asyncio.run(app_ms(acs.port, mine))
    finally:
        acs.stop()
    n = args.scans
    return [
        Figure(f"SIP2 checkout on screen, p50 of {n}", statistics.median(app_out), "ms",
               "raw socket 11/12 round trip, p50", statistics.median(raw_out)),
        Figure(f"SIP2 checkout on screen, p99 of {n}", percentile(app_out, 99), "ms",
               "raw socket 11/12 round trip, p99", percentile(raw_out, 99)),
        Figure(f"SIP2 checkin on screen, p50 of {n}", statistics.median(app_back), "ms",
               "raw socket 09/10 round trip, p50", statistics.median(raw_back)),
        Figure(f"SIP2 checkin on screen, p99 of {n}", percentile(app_back, 99), "ms",
               "raw socket 09/10 round trip, p99", percentile(raw_back, 99)),
    ]


def main() -> None:
    print(table(f"checkout and checkin on screen over SIP2 ({pid_note()})", figures()))


if __name__ == "__main__":
    main()
