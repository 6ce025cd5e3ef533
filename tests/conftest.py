"""Shared fixtures. ``central``: the central API stand-in on a real socket.

Usage::

    def test_something(central):
        httpx.get(f"{central.url}/members/20042000000016")   # real HTTP on 127.0.0.1
        central.set_fault("book", down=True)                   # 503 + Retry-After from book
        central.set_fault("payment", latency_ms=(400, 620))    # the seed's slow service
        central.set_fault("rental", error_rate=0.5, drop_rate=0.2)
        central.clear_faults()
        central.key_counts()        # {"<Idempotency-Key>": times applied (1 however often sent)}
        central.advance_clock(4 * 86400)   # holds expire, fines grow, without waiting
        central.backlog()           # {"book-status": events not yet applied, ...}
        central.stop(); central.start()    # whole API unreachable, then back on the same port

Each test gets a fresh SQLite database in ``tmp_path`` with the demo library (data/*.json),
faults enabled (the /admin API), no bearer token, and fault randomness seeded with 0.
``central.app.state.stand_in`` is the running ``StandIn`` for direct inspection. Start-up takes
a few milliseconds. ``make_central`` starts further ones, with a token or faults at start.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend_stub.app import create_app
from backend_stub.server import CentralServer
from kiosk_testing.machine_lock import machine_lock


def install_debian(package: str, present: Callable[[], bool]) -> str:
    """Install Debian's ``package`` if ``present()`` says it is missing and we may (root with
    apt-get); the reason it is still missing otherwise ("" when present)."""
    if present():
        return ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"{package} is not installed, and this is not root with apt-get to install it"
    with machine_lock("apt-get"):  # the other test worker may be installing too
        if present():
            return ""
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for argv in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", package]):
            done = subprocess.run(argv, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                return f"{' '.join(argv)} failed: {done.stderr.strip()[-300:]}"
    return "" if present() else f"{package} installed, yet not found where expected"


@pytest.fixture(scope="session")
def prometheus_tools() -> dict[str, str]:
    """``{"prometheus": path, "promtool": path}``, installing Debian's package where it can;
    skips with the reason where it cannot (never passes without them)."""
    missing = install_debian("prometheus",
                             lambda: bool(shutil.which("prometheus") and shutil.which("promtool")))
    if missing:
        pytest.skip(missing)
    return {name: shutil.which(name) or name for name in ("prometheus", "promtool")}


@pytest.fixture(scope="session")
def espeak_ng() -> str:
    """Debian's espeak-ng (the kiosk's voice), installed where it can be; skips with the reason
    where it cannot."""
    missing = install_debian("espeak-ng", lambda: bool(shutil.which("espeak-ng")))
    if missing:
        pytest.skip(f"skipped, because espeak-ng cannot be installed here: {missing}")
    return shutil.which("espeak-ng") or "espeak-ng"


LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


@pytest.fixture(scope="session")
def libfaketime() -> Path:
    """Debian's libfaketime (an ``LD_PRELOAD`` that moves a process's wall clock), installed
    where it can be; skips with the reason where it cannot."""
    missing = install_debian("libfaketime", LIBFAKETIME.exists)
    if missing:
        pytest.skip(missing)
    return LIBFAKETIME


def _has_cjk_font() -> bool:
    from kiosk_app.receipt_escpos import FontMissing, cjk_font

    try:
        cjk_font(20)
    except FontMissing:
        return False
    return True


@pytest.fixture(scope="session")
def cjk_font() -> None:
    """Noto Sans CJK (Debian's ``fonts-noto-cjk``) for printed receipts, installed where it can
    be; skips with the reason where it cannot."""
    missing = install_debian("fonts-noto-cjk", _has_cjk_font)
    if missing:
        pytest.skip(missing)


def _has_korean_ocr() -> bool:
    if not shutil.which("tesseract"):
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    return "kor" in langs


@pytest.fixture(scope="session")
def korean_ocr(cjk_font) -> str:
    """The path of ``tesseract`` with its Korean data (``tesseract-ocr-kor``), installed where it
    can be; skips with the reason where it cannot."""
    missing = (install_debian("tesseract-ocr", lambda: bool(shutil.which("tesseract")))
               or install_debian("tesseract-ocr-kor", _has_korean_ocr))
    if missing:
        pytest.skip(missing)
    return shutil.which("tesseract") or "tesseract"


@pytest.fixture
def make_central(tmp_path):
    """``make_central(token=None, faults=None, seed=0, db_name="central.db")``: more stand-ins.

    ``token``: bearer token required on every call but /health. ``faults``: faults at start,
    e.g. ``{"book": ServiceFaults(down=True)}`` (``backend_stub.faults.ServiceFaults``). Each is
    started, has faults enabled, and is stopped at the end of the test.
    """
    servers = []

    def make(*, token=None, faults=None, seed=0, db_name="central.db"):
        app = create_app(tmp_path / db_name, token=token, faults_enabled=True, faults=faults,
                         seed=seed)
        servers.append(CentralServer(app, token=token).start())
        return servers[-1]

    yield make
    for server in servers:
        server.stop()
        server.app.state.stand_in.db.close()


@pytest.fixture
def central(make_central):
    return make_central()


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, given back as it was: handlers a test installs (``logbook.install``) are
    closed and removed, the level restored."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
