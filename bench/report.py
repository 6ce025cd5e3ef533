"""One row of the performance report, and the plain table every benchmark prints.

Each benchmark module exposes ``figures(argv) -> list[Figure]`` and prints ``table(...)`` when run
alone; ``python -m bench`` collects the same figures from every module into docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

MARK = "BENCH-FIGURES "


@dataclass(frozen=True)
class Figure:
    """A measured figure beside the raw baseline measured in the same run.

    ``met`` is None where the issue sets no target for this figure."""

    measure: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> str:
        if not self.baseline_value:
            return ""
        return f"{self.value / self.baseline_value:.2f}"

    @property
    def verdict(self) -> str:
        return {None: "", True: "met", False: "MISSED"}[self.met]

    def cells(self) -> tuple[str, ...]:
        base = f"{self.baseline}: {_number(self.baseline_value)} {self.unit}" if self.baseline else ""
        return (self.measure, f"{_number(self.value)} {self.unit}", base, self.ratio, self.target,
                self.verdict)


HEADER = ("measure", "figure", "raw baseline (same run)", "ratio", "target", "verdict")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def table(title: str, figures: list[Figure]) -> str:
    rows = [HEADER, *(figure.cells() for figure in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [title, ""] + ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                           for row in rows]
    return "\n".join(lines)


def markdown(figures: list[Figure]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in figure.cells()) + " |" for figure in figures]
    return "\n".join(lines)


def emit(figures: list[Figure]) -> None:
    """One machine-readable line for ``python -m bench`` (which runs each module in a child)."""
    print(MARK + json.dumps([asdict(figure) for figure in figures]), flush=True)


def parse(output: str) -> list[Figure]:
    for line in output.splitlines():
        if line.startswith(MARK):
            return [Figure(**row) for row in json.loads(line[len(MARK):])]
    return []


def machine() -> dict[str, str]:
    """CPU model, cores, memory, Python and the date of the run."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": memory,
            "python": sys.version.split()[0], "os": platform.platform(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
