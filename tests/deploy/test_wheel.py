"""The kiosk as a wheel: built from the checkout, installed into a fresh virtual environment, run
from a folder outside the checkout. The demo library (``data/``) must travel inside the wheel, or
an installed stand-in cannot fill a new database and ``kiosk-sim labels`` has nothing to print.

Dependencies come from the package index (pip's cache makes that quick after the first run). The
wheel is built from a copy of the checkout so the build leaves nothing (``build/``) in it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from backend_stub.readiness import free_port

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCES = (".git", ".venv", ".pytest_cache", ".hypothesis", "__pycache__", "build", "dist",
               "var", "*.egg-info", "tests", "bench", "docs", "*.sqlite3*")
"""What the build never needs: the copy it runs on leaves these out."""
MEMBERS = json.loads((ROOT / "data" / "members.json").read_text(encoding="utf-8"))
ITEMS = json.loads((ROOT / "data" / "items.json").read_text(encoding="utf-8"))

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(the fresh environment's bin folder, a working folder outside the checkout, its environment)."""
    outside = tmp_path_factory.mktemp("wheel")
    assert not outside.is_relative_to(ROOT)
    env = {name: value for name, value in os.environ.items()
           if name not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not name.startswith("KIOSK_")}
    source = outside / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", outside / "dist", source,
        cwd=outside, env=env)
    shutil.rmtree(source)
    wheel, = (outside / "dist").glob("library_kiosk-*.whl")
    run(sys.executable, "-m", "venv", outside / "venv", cwd=outside, env=env)
    bin_dir = outside / "venv" / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, cwd=outside, env=env)
    return bin_dir, outside, env


def test_the_wheel_holds_every_package_of_the_checkout(installed) -> None:
    """pyproject lists the packages by name (``data/`` is installed as ``kiosk_data``): a package
    added to the checkout and forgotten there would be missing from every installed kiosk."""
    bin_dir, outside, env = installed
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for root in ("kiosk_app", "kiosk_demo", "sync_agent", "hardware", "backend_stub")
             for init in (ROOT / root).rglob("__init__.py")}
    assert found <= listed, f"packages missing from pyproject: {sorted(found - listed)}"
    assert (ROOT / "kiosk_data").resolve() == ROOT / "data", "kiosk_data is the link to data/"
    where = run(bin_dir / "python", "-c",
                "import importlib.resources as r, kiosk_data, backend_stub.demo_data as d, "
                "hardware.labels as l, kiosk_app\n"
                "print(kiosk_data.DATA_DIR, d.DATA_DIR, l.DEFAULT_DATA_DIR, sep='\\n')\n"
                "print(r.files('kiosk_app').joinpath('kiosk.tcss').is_file())",
                cwd=outside, env=env).stdout.split()
    site = outside / "venv" / "lib"
    for folder in map(Path, where[:3]):
        assert folder.is_relative_to(site) and not folder.is_relative_to(ROOT), folder
        assert (folder / "members.json").is_file() and (folder / "README.md").is_file()
    assert where[3] == "True", "the app's style sheet is in the wheel"


def test_installed_stand_in_serves_the_demo_library_from_a_new_database(installed) -> None:
    bin_dir, outside, env = installed
    port = free_port()
    database = outside / "central.sqlite3"
    assert not database.exists()
    server = subprocess.Popen([str(bin_dir / "kiosk-backend"), "--host", "127.0.0.1", "--port", str(port),
                               "--db", str(database)], cwd=outside, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"kiosk-backend exited: {server.communicate()[1][-3000:]}"
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "kiosk-backend did not answer /health within 30 s"
            time.sleep(0.1)
        member = httpx.get(f"{url}/members/{MEMBERS[0]['cardNumber']}", timeout=5)
        book = httpx.get(f"{url}/books/{ITEMS[0]['barcode']}", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert member.status_code == 200 and member.json()["name"] == MEMBERS[0]["name"]
    assert book.status_code == 200 and book.json()["title"] == ITEMS[0]["title"]


def test_installed_simulator_prints_the_demo_label_sheet(installed) -> None:
    bin_dir, outside, env = installed
    sheet = outside / "labels.svg"
    done = run(bin_dir / "kiosk-sim", "labels", "--out", sheet, cwd=outside, env=env)
    assert "labels written" in done.stdout
    text = sheet.read_text(encoding="utf-8")
    for code in (MEMBERS[0]["cardNumber"], ITEMS[0]["barcode"], ITEMS[0]["isbn"]):
        assert code in text, code
