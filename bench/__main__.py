"""``python -m bench``: run every benchmark of the project and write docs/benchmarks.md.

Each module runs in a child process of its own (so one benchmark's threads, event loop and memory
never colour the next one's figures) and hands back its ``figures()``; the report puts each figure
beside the raw baseline the module measured in the same run, with the ratio, the target from the
issues and whether it was met. ``--only NAME`` re-runs some modules and keeps the other figures of
the last run (kept beside the report in ``benchmarks.json``; each section names when it ran).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from bench.report import Figure, machine, markdown, parse

ROOT = Path(__file__).resolve().parent.parent

MODULES: list[tuple[str, str, list[str]]] = [
    ("hardware_throughput", "Scanner driver (issue 3)", []),
    ("backend_requests", "The central API stand-in", []),
    ("sync_append", "Outbox append (issue 4)", []),
    ("sync_breaker", "Breaker fast-fail (issue 4)", []),
    ("sync_drain", "Drain after an outage (issue 4)", []),
    ("store_open", "Store open with its check (issue 11)", []),
    ("app_return_latency", "Return on screen with the central API down (issues 5, 10)", []),
    ("app_borrow_latency", "Borrow on screen with the central API healthy (issue 10)", []),
    ("app_cold_start", "App cold start (issue 5)", []),
    ("app_memory", "App memory (issue 5)", []),
    ("fleet", "Fleet: 50 kiosks draining into one stand-in (issue 7)", []),
    ("outage_day", "The outage day, long form (issues 7, 10)", []),
    ("sip2_screen", "Checkout and checkin on screen over SIP2", []),
    ("sip2_drain", "Drain over SIP2", []),
    ("speech", "Speech: an utterance made", []),
]
"""(module, section title, arguments): the order of the report."""

CHILD = ("import sys; from importlib import import_module; from bench.report import emit; "
         "emit(import_module('bench.' + sys.argv[1]).figures(sys.argv[2:]))")


def run_module(name: str, args: list[str]) -> tuple[list[Figure], float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", CHILD, name, *args], cwd=ROOT, capture_output=True,
                          text=True)
    figures = parse(done.stdout)
    error = "" if figures else (done.stderr or done.stdout)[-1500:]
    return figures, time.monotonic() - started, error


def render(results: list[tuple[str, str, list[Figure], float, str, str]], host: dict[str, str]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (`make bench`); each section says when its module finished.",
        "Each is shown beside a raw baseline measured in the same run on the same machine (a bare",
        "sqlite3 commit loop, a plain httpx request loop, raw pty reads, a bare Textual app, ...) and",
        "the ratio figure / baseline. Targets are the issues'; a missed one is marked MISSED.",
        "Run one module alone with `python -m bench.<module>`.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in host.items()),
        "",
        "## Targets",
        "",
        "| target | figure | ratio to baseline | verdict |",
        "| --- | --- | --- | --- |",
    ]
    for _name, _title, figures, _s, _error, _when in results:
        for figure in figures:
            if figure.met is not None:
                lines.append(f"| {figure.measure}: {figure.target} | {figure.cells()[1]} | {figure.ratio} "
                             f"| {figure.verdict} |")
    for name, title, figures, seconds, error, when in results:
        lines += ["", f"## {title}", "", f"`python -m bench.{name}`: finished {when}, took {seconds:.0f} s", ""]
        if figures:
            lines.append(markdown(figures))
        else:
            lines += ["Did not report figures:", "", "```", error.strip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[m[0] for m in MODULES])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    kept_path = args.out.with_suffix(".json")
    kept = json.loads(kept_path.read_text(encoding="utf-8")) if args.only and kept_path.exists() else {}
    host = machine()
    for name, _title, module_args in MODULES:
        if args.only and name not in args.only:
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        figures, seconds, error = run_module(name, module_args)
        kept[name] = {"figures": [asdict(f) for f in figures], "seconds": seconds, "error": error,
                      "when": machine()["date"]}
        for figure in figures:
            print("  " + "  ".join(cell for cell in figure.cells() if cell), file=sys.stderr)
        if error:
            print(f"  no figures: {error.strip().splitlines()[-1] if error.strip() else '?'}", file=sys.stderr)
    results = [(name, title, [Figure(**f) for f in kept[name]["figures"]], kept[name]["seconds"],
                kept[name]["error"], kept[name]["when"]) for name, title, _args in MODULES if name in kept]
    args.out.write_text(render(results, host), encoding="utf-8")
    kept_path.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"bench: wrote {args.out}", file=sys.stderr)
    missed = [f for _n, _t, figures, *_rest in results for f in figures if f.met is False]
    return 1 if missed or any(error for _n, _t, _f, _s, error, _w in results) else 0


if __name__ == "__main__":
    sys.exit(main())
