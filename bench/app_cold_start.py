"""Cold start: a fresh process to the welcome screen drawn (targets: at most 2x a bare Textual app,
and under 1.5 s).

    .venv/bin/python -m bench.app_cold_start [--runs 7]

Each run spawns a new interpreter that imports the app, opens its store, starts the app headless at
100x32 and prints READY once the welcome screen is composed; the figure is spawn to READY as the
parent sees it, the median of the runs. The runs of the three children are interleaved, so that a
burst of load on the machine falls on all of them alike.

The store is what a kiosk restarts with: a file already created and migrated (a copy of one made
once by the parent, fresh for each run). A kiosk's very first start also creates and migrates the
file; that case is measured too, for information. Baselines, in the same run: a minimal Textual app
(one Static) started the same way, and a bare ``python -c`` for scale.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Figure, table
from sync_agent.settings import Settings

TARGET_S = 1.5
TARGET_RATIO = 2.0

KIOSK_CHILD = """
import asyncio, sys
from pathlib import Path
from kiosk_app.composition import build_kiosk
from kiosk_app.screens.welcome import WelcomeScreen
from sync_agent.central.rest.client import CentralClient
from sync_agent.settings import Settings
from sync_agent.store.database import Store

settings = Settings(data_dir=Path(sys.argv[1]), api_url="http://127.0.0.1:9")
store = Store.open(settings.db_path)
client = CentralClient(settings)
app = build_kiosk(settings, store, client, tick_s=None, health_every_s=None)

async def main():
    async with app.run_test(size=(100, 32)) as pilot:
        while not (isinstance(app.screen, WelcomeScreen) and app.screen.query("#choices")):
            await pilot.pause(0.001)
        print("READY", flush=True)

asyncio.run(main())
"""

TEXTUAL_CHILD = """
import asyncio
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("hello", id="hello")

app = Minimal()

async def main():
    async with app.run_test(size=(100, 32)) as pilot:
        while not app.query("#hello"):
            await pilot.pause(0.001)
        print("READY", flush=True)

asyncio.run(main())
"""


def spawn_s(code: str, *args: str) -> float:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "READY":
            break
    elapsed = time.perf_counter() - started
    child.wait(timeout=30)
    return elapsed


def installed_store(template: Path) -> Path:
    """A kiosk folder holding a copy of ``template``: the store a restarted kiosk opens."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    shutil.copy(template, folder / template.name)
    return folder


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    made = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    spawn_s(KIOSK_CHILD, str(made))           # creates and migrates the store; warms the disk cache
    template = Settings(data_dir=made).db_path
    textual, kiosk, first, bare = [], [], [], []
    for _ in range(args.runs):
        textual.append(spawn_s(TEXTUAL_CHILD))
        kiosk.append(spawn_s(KIOSK_CHILD, str(installed_store(template))))
        first.append(spawn_s(KIOSK_CHILD, tempfile.mkdtemp(prefix="kiosk-bench-")))
        bare.append(spawn_s("print('READY')"))
    median, base = statistics.median(kiosk), statistics.median(textual)
    return [
        Figure(f"cold start to the welcome screen (store in place), median of {args.runs}", median, "s",
               "minimal Textual app", base, f"<= {TARGET_RATIO:g}x the Textual app",
               median <= TARGET_RATIO * base),
        Figure("the same, in seconds", median, "s", target=f"< {TARGET_S} s", met=median < TARGET_S),
        Figure("first start ever (the store created and migrated), median", statistics.median(first), "s",
               "minimal Textual app", base),
        Figure("bare python start (for scale)", statistics.median(bare), "s"),
    ]


def main() -> None:
    print(table("cold start to first screen", figures()))


if __name__ == "__main__":
    main()
