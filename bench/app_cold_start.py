"""Cold start: a fresh process to the welcome screen drawn (targets: at most 2x a bare Textual app,
and under 1.5 s).

    .venv/bin/python -m bench.app_cold_start [--runs 7]

Each run spawns a new interpreter that starts the kiosk as ``kiosk run`` does (``kiosk_app.cli.main
(["run"])``: the first paint's settings, the log, the exit guard, :mod:`kiosk_app.start`), with
Textual's headless driver at 100x32 and no central side answering; it prints READY when the start
path logs that the welcome screen is drawn (composed, and its first refresh done), and is then
stopped with SIGTERM as systemd would. The figure is spawn to READY as the parent sees it, the
median of the runs. The runs of the children are interleaved, so that a burst of load on the
machine falls on all of them alike.

The store is what a kiosk restarts with: a file already created and migrated (a copy of one made
once by the parent, fresh for each run). A kiosk's very first start creates and migrates the file
after its first frame; that case is measured too, for information. Baselines, in the same run: a
minimal Textual app (one Static) started the same way (headless driver, 100x32, READY after its
first refresh), and a bare ``python -c`` for scale.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Figure, table
from sync_agent.settings import Settings
from sync_agent.store.database import Store

TARGET_S = 1.5
TARGET_RATIO = 2.0

KIOSK_CHILD = """
import logging, sys
from kiosk_app import cli

class Ready(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("welcome screen drawn"):
            print("READY", flush=True)

logging.getLogger("kiosk_app.start").addHandler(Ready())
sys.exit(cli.main(["run"]))
"""

TEXTUAL_CHILD = """
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("hello", id="hello")

    def on_mount(self):
        self.call_after_refresh(print, "READY", flush=True)

Minimal().run()
"""


def child_env(data_dir: Path | None = None) -> dict[str, str]:
    """Headless at 100x32; for the kiosk, its folder and a central side that answers nothing."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update(TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver", COLUMNS="100", LINES="32")
    if data_dir is not None:
        env.update(KIOSK_DATA_DIR=str(data_dir), KIOSK_API_URL="http://127.0.0.1:9")
    return env


def spawn_s(code: str, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, text=True, env=env)
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "READY":
            break
    elapsed = time.perf_counter() - started
    child.send_signal(signal.SIGTERM)
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
    template = Settings(data_dir=Path(tempfile.mkdtemp(prefix="kiosk-bench-"))).db_path
    Store.open(template).close()                      # created and migrated, as a kiosk leaves it
    spawn_s(KIOSK_CHILD, child_env(installed_store(template)))   # warms the disk cache
    textual, kiosk, first, bare = [], [], [], []
    for _ in range(args.runs):
        textual.append(spawn_s(TEXTUAL_CHILD, child_env()))
        kiosk.append(spawn_s(KIOSK_CHILD, child_env(installed_store(template))))
        first.append(spawn_s(KIOSK_CHILD, child_env(Path(tempfile.mkdtemp(prefix="kiosk-bench-")))))
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
