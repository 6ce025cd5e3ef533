"""The real ``kiosk demo`` and ``kiosk run`` commands in a terminal (tmux): the demo comes up with
its panel, a typed Enter on a label scans it, Ctrl+C does not end it; closing the terminal (the
tmux session killed: SIGHUP, then EIO) leaves no process of either within 10 s, store closed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

KIOSK = str(Path(sys.executable).parent / "kiosk")


def screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                          text=True, check=True).stdout


def wait_screen(session: str, text: str, timeout_s: float = 30.0) -> str:
    deadline = time.monotonic() + timeout_s
    while text not in (shown := screen(session)):
        assert time.monotonic() < deadline, f"{text!r} not on screen:\n{shown}"
        time.sleep(0.2)
    return shown


def processes_of(folder: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True)
    return found.stdout.split()


def gone_within(folder: Path, seconds: float) -> None:
    """No process of ``folder`` left within ``seconds``; any left after that are ended (by pid)
    before the test fails, so a failing test leaves nothing running."""
    deadline = time.monotonic() + seconds
    try:
        while processes_of(folder):
            assert time.monotonic() < deadline, f"left running: {processes_of(folder)}"
            time.sleep(0.2)
    finally:
        for pid in processes_of(folder):
            subprocess.run(["kill", "-9", pid], check=False)


def test_kiosk_demo_in_a_terminal(tmp_path: Path) -> None:
    session = f"kiosk-demo-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "demo"
    # The window gets its 140x40 before the demo starts, and the demo measures the window, not
    # COLUMNS/LINES a test runner may have exported (the demo says so when it is too small).
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "140", "-y", "40", "sh"],
                   check=True)
    subprocess.run(["tmux", "resize-window", "-t", session, "-x", "140", "-y", "40"], check=False)
    command = f"exec env -u COLUMNS -u LINES {KIOSK} demo --dir {folder}"
    subprocess.run(["tmux", "send-keys", "-t", session, command, "Enter"], check=True)
    try:
        wait_screen(session, "outbox: 0 pending")
        assert "DEMO" in screen(session) and "book management down" in screen(session)
        assert subprocess.run(["pgrep", "-f", f"kiosk-backend .*{folder}"]).returncode == 0
        assert subprocess.run(["pgrep", "-f", f"sync_agent --config {folder}"]).returncode == 0
        # Keyboard path to the panel: Tab to the card list, Tab to the labels, the second label.
        for key in ("Tab", "Tab", "Down", "Down", "Enter"):
            subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)
            time.sleep(0.3)
        wait_screen(session, "✓ The Pragmatic Programmer")
        wait_screen(session, "1 delivered")
        # Ctrl+C is a key like any other in the patron app: the demo keeps running.
        subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)
        time.sleep(1.0)
        assert "DEMO" in screen(session)
        assert subprocess.run(["pgrep", "-f", f"sync_agent --config {folder}"]).returncode == 0
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    gone_within(folder, 10)
    assert (folder / "kiosk-sync.log").exists() and (folder / "central.log").exists()
    assert not (folder / "kiosk" / "kiosk.sqlite3-wal").exists(), "app and agent closed the store"


def test_kiosk_run_in_a_terminal_that_is_closed(tmp_path: Path, central) -> None:
    session = f"kiosk-run-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "kiosk"
    folder.mkdir()
    config = folder / "kiosk.toml"
    config.write_text(f'data_dir = "{folder / "data"}"\napi_url = "{central.url}"\n')
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36",
                    f"{KIOSK} --config {config} run"], check=True)
    try:
        wait_screen(session, "English")  # the welcome screen's language button
        assert processes_of(folder)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    gone_within(folder, 10)
    assert not (folder / "data" / "kiosk.sqlite3-wal").exists(), "the store was closed"
    log = (folder / "data" / "kiosk-app.log").read_text()
    # whichever is seen first: the SIGHUP, or the hang-up on the terminal's file descriptors
    assert "stopping (signal SIGHUP)" in log or "stopping (the terminal went away)" in log, log
