"""Cold start: a fresh process to the welcome screen drawn (target < 1.5 s).

    .venv/bin/python -m bench.app_cold_start [--runs 5]

Each run spawns a new interpreter that imports the app, opens a fresh store, starts the app
headless at 100x32 and prints READY once the welcome screen is composed; the figure is spawn to
READY as the parent sees it. Baselines, in the same run: a bare ``python -c pass``, and a minimal
Textual app (one Static) started the same way.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench.report import Figure, table

TARGET_S = 1.5

KIOSK_CHILD = """
import asyncio, tempfile
from pathlib import Path
from kiosk_app.composition import build_kiosk
from kiosk_app.screens.welcome import WelcomeScreen
from sync_agent.client import CentralClient
from sync_agent.settings import Settings
from sync_agent.store import Store

settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="kiosk-bench-")), api_url="http://127.0.0.1:9")
store = Store.open(settings.db_path)
client = CentralClient(settings, store)
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


def spawn_s(code: str) -> float:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "READY":
            break
    elapsed = time.perf_counter() - started
    child.wait(timeout=30)
    return elapsed


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    textual = [spawn_s(TEXTUAL_CHILD) for _ in range(args.runs)]
    kiosk = [spawn_s(KIOSK_CHILD) for _ in range(args.runs)]
    bare = [spawn_s("print('READY')") for _ in range(args.runs)]
    median = statistics.median(kiosk)
    return [
        Figure(f"cold start to the welcome screen, median of {args.runs}", median, "s",
               "minimal Textual app", statistics.median(textual), f"< {TARGET_S} s", median < TARGET_S),
        Figure("bare python start (for scale)", statistics.median(bare), "s"),
    ]


def main() -> None:
    print(table("cold start to first screen", figures()))


if __name__ == "__main__":
    main()
