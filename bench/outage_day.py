"""The outage day as a benchmark: the long day of :mod:`kiosk_testing.outage_day`, its figures for
``python -m bench`` (``--seconds``, ``--members``, ``--seed``, ``--short``, ``--keep``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.report import Figure
from kiosk_testing.outage_day import LONG, SHORT, Day, p99, run_day


def figures(argv: list[str] | None = None) -> list[Figure]:
    """The long day for ``python -m bench``."""
    report = run_day(_day_from(argv)[0])
    v = report.verdict
    open_ms, closed_ms = sorted(v.fallbacks_open), sorted(v.fallbacks_closed)
    return [
        Figure(f"outage day {report.day.seconds:.0f} s: returns acknowledged on screen", v.acknowledged, "",
               target="all delivered", met=v.delivered == v.acknowledged),
        Figure("returns applied twice (duplicates)", v.duplicates, "", target="0", met=v.duplicates == 0),
        Figure("returns lost", v.lost, "", target="0", met=v.lost == 0),
        Figure("dead letters", v.dead_letters, ""),
        Figure(f"borrows shown ({v.borrows_shown}) not recorded centrally", v.borrows_unconfirmed, "",
               target="0", met=v.borrows_unconfirmed == 0),
        Figure("loans made centrally but not shown (before reconciliation)", v.borrows_not_shown, ""),
        Figure(f"money or loans left centrally that the patron was told did not happen "
               f"({v.intents_untold} such intents)", v.left_centrally, "", target="0",
               met=v.left_centrally == 0),
        Figure(f"compensations applied twice (of {v.compensations})", v.compensated_twice, "",
               target="0", met=v.compensated_twice == 0),
        Figure(f"fines checked ({v.fines_checked}) not from the patron's time", v.fines_wrong, "",
               target="0", met=v.fines_wrong == 0),
        Figure(f"borrow fallback with the lending breaker open, p99 (n={len(open_ms)})",
               p99(open_ms), "ms", "busy with the breaker closed, p99" if closed_ms else "",
               p99(closed_ms) or None, "< 50 ms (screen path)", (p99(open_ms) < 50) if open_ms else None),
        Figure(f"kills: app {report.tally.app_kills}, agent {report.tally.agent_kills}; drain after the day",
               report.drain_s, "s"),
    ]


def _day_from(argv: list[str] | None) -> tuple[Day, Path | None]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the short day of the system test")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--members", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--keep", type=Path, help="keep the day's files in this folder")
    args = parser.parse_args(argv)
    base = SHORT if args.short else LONG
    given = {name: getattr(args, name) for name in ("seconds", "members", "seed") if getattr(args, name)}
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    return Day(**{**base.__dict__, **given}), args.keep


def main(argv: list[str] | None = None) -> int:
    day, keep = _day_from(argv)
    report = run_day(day, keep)
    print(report.table())
    for problem in report.verdict.problems[:20]:
        print("problem:", problem)
    return 0 if report.verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
