"""Paint first: the welcome screen is drawn before the core is imported or built, and nothing the
patron does meanwhile is lost.

- the first paint's reading of the configuration (the file, ``KIOSK_*`` winning, a value it cannot
  use falling back to the default) and the settings model agreeing with it where it can;
- the shell's modules load none of pydantic, httpx, sqlite3, the store, the central side or the
  receipts (a fresh interpreter, as ``kiosk run`` starts);
- a scan that comes before the core is served once the core is attached;
- ``kiosk run`` with a bad configuration still exits 2 naming the key, and a SIGTERM while its
  core loads still ends it cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hardware.codes import classify
from kiosk_app import first_paint
from kiosk_app.app import KioskApp
from kiosk_app.composition import build_core
from kiosk_app.first_paint import FirstPaint
from kiosk_app.messages import Scanned
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import ON_LOAN
from kiosk_testing.pilot import screen_text
from kiosk_testing.processes import BIN, Process
from kiosk_testing.waiting import wait_until
from sync_agent import settings as settings_model
from sync_agent.central.adapters import make_central
from sync_agent.store.database import Store

from .conftest import PATRON_DEADLINE_MS, SIZE, make_settings, settle

KIOSK = str(BIN / "kiosk")
CORE_MODULES = ("pydantic", "pydantic_settings", "httpx", "sqlite3", "barcode", "stdnum", "sync_agent.settings",
                "sync_agent.store", "sync_agent.central", "sync_agent.wire", "kiosk_app.lending",
                "kiosk_app.receipt_desk", "kiosk_app.composition")


def test_the_first_paint_reads_the_file_and_the_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('lang = "en"\ntheme = "high-contrast"\ndisplay_size_mm = "476x268"\n'
                      'session_timeout_s = 90\ndata_dir = "/srv/kiosk"\n')
    assert first_paint.read(config, {}) == FirstPaint("en", "high-contrast", (476.0, 268.0), 90,
                                                      Path("/srv/kiosk"))
    assert first_paint.read(config, {"KIOSK_LANG": "ko", "KIOSK_SESSION_TIMEOUT_S": "30"}).lang == "ko"
    assert first_paint.read(config, {"KIOSK_SESSION_TIMEOUT_S": "30"}).session_timeout_s == 30


def test_a_value_the_first_paint_cannot_use_is_the_default_and_the_model_names_it(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('lang = "fr"\ndisplay_size_mm = "huge"\nsession_timeout_s = 5\n')
    assert first_paint.read(config, {}) == FirstPaint()
    assert first_paint.read(tmp_path / "absent.toml", {}) == FirstPaint()
    (tmp_path / "broken.toml").write_text("lang = ")
    assert first_paint.read(tmp_path / "broken.toml", {}) == FirstPaint()


def test_the_first_paint_agrees_with_the_settings_model(tmp_path: Path) -> None:
    assert FirstPaint.of(settings_model.Settings()) == FirstPaint()
    config = tmp_path / "kiosk.toml"
    config.write_text('lang = "en"\ntheme = "high-contrast"\ndisplay_size_mm = "476 x 268"\n'
                      f'session_timeout_s = 90\ndata_dir = "{tmp_path}"\n')
    assert FirstPaint.of(settings_model.load_settings(config)) == first_paint.read(config, {})


def test_the_shell_imports_none_of_the_core() -> None:
    """What ``kiosk run`` imports before its first frame (kiosk_app.cli's ``_run``)."""
    code = ("import sys, kiosk_app.cli, kiosk_app.first_paint, kiosk_app.logbook, kiosk_app.shutdown, "
            "kiosk_app.start\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {CORE_MODULES!r} "
            f"or any(m == c or m.startswith(c + '.') for c in {CORE_MODULES!r})))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


async def test_a_scan_before_the_core_is_served_once_it_arrives(tmp_path: Path, central) -> None:
    settings = make_settings(tmp_path, central.url, call_timeout_ms=PATRON_DEADLINE_MS, lang="en")
    store = Store.open(settings.db_path)
    client = make_central(settings, owner="app")
    app = KioskApp(FirstPaint.of(settings), tick_s=None, health_every_s=None)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await app.painted.wait()
            found = classify(ON_LOAN, settings.institution)
            app.post_message(Scanned(found.kind, found.code))
            await pilot.pause()
            assert isinstance(app.screen, WelcomeScreen), "nothing is served without the core"
            app.attach(build_core(app, settings, store, client, with_devices=False))
            await settle(pilot)
            assert isinstance(app.screen, ReturnScreen)
            assert [line.barcode for line in app.session.returns] == [ON_LOAN]
            assert "Returned" in screen_text(app)
            assert app.lending.outbox.counts()["pending"] == 1, "served once"
    finally:
        await client.aclose()
        store.close()


async def test_settings_that_differ_from_the_first_paint_lay_the_screen_out_again(tmp_path: Path,
                                                                                 central) -> None:
    settings = make_settings(tmp_path, central.url, lang="en", theme="high-contrast")
    store = Store.open(settings.db_path)
    client = make_central(settings, owner="app")
    app = KioskApp(FirstPaint(), tick_s=None, health_every_s=None)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await app.painted.wait()
            assert app.lang == "ko"
            app.attach(build_core(app, settings, store, client, with_devices=False))
            await settle(pilot)
            assert app.lang == "en" and app.theme == "kiosk-high-contrast"
            assert "Welcome" in screen_text(app), "drawn again in the confirmed language"
    finally:
        await client.aclose()
        store.close()


def _kiosk_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update(KIOSK_DATA_DIR=str(tmp_path), KIOSK_API_URL="http://127.0.0.1:9",
               TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver", **extra)
    return env


def test_kiosk_run_with_a_bad_value_exits_2_naming_the_key(tmp_path: Path) -> None:
    result = subprocess.run([KIOSK, "run"], env=_kiosk_env(tmp_path, KIOSK_SESSION_TIMEOUT_S="5"),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "kiosk: invalid configuration" in result.stderr
    assert "session_timeout_s (KIOSK_SESSION_TIMEOUT_S)" in result.stderr
    assert "session_timeout_s (KIOSK_SESSION_TIMEOUT_S)" in (tmp_path / "kiosk-app.log").read_text()


def test_sigterm_while_the_core_loads_ends_kiosk_run_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "kiosk-app.log"
    app = Process([KIOSK, "run"], _kiosk_env(tmp_path), tmp_path / "output")
    app.start()
    try:
        wait_until(lambda: log.exists() and "loading the core" in log.read_text(), 20,
                   lambda: log.read_text() if log.exists() else "no log")
        assert app.proc is not None
        app.proc.send_signal(signal.SIGTERM)
        assert app.proc.wait(5) == 0
    finally:
        app.kill()
