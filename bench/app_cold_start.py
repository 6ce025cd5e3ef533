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

TARGET_S = 1.5

KIOSK_CHILD = """
import asyncio, tempfile
from pathlib import Path
from kiosk_app.app import KioskApp
from kiosk_app.lending import Lending
from kiosk_app.screens.welcome import WelcomeScreen
from sync_agent.client import CentralClient
from sync_agent.relay import Relay
from sync_agent.settings import Settings
from sync_agent.store import Store

settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="kiosk-bench-")), api_url="http://127.0.0.1:9")
store = Store.open(settings.db_path)
client = CentralClient(settings, store)
app = KioskApp(settings, Lending(settings, store, client, Relay(store, client, settings, role="app")),
               tick_s=None, health_every_s=None)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bare = [spawn_s("print('READY')") for _ in range(args.runs)]
    textual = [spawn_s(TEXTUAL_CHILD) for _ in range(args.runs)]
    kiosk = [spawn_s(KIOSK_CHILD) for _ in range(args.runs)]
    base = statistics.median(textual)
    print(f"cold start to first screen, median of {args.runs} runs")
    print(f"{'':<40} {'median s':>9} {'max s':>9} {'vs textual':>11}")
    for name, runs in (("baseline: bare python", bare), ("baseline: minimal Textual app", textual),
                       ("kiosk app: welcome screen", kiosk)):
        print(f"{name:<40} {statistics.median(runs):9.3f} {max(runs):9.3f} "
              f"{statistics.median(runs) / base:10.2f}x")
    print(f"target < {TARGET_S} s: {'met' if statistics.median(kiosk) < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
