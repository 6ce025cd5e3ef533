"""The hardware lockdown, checked from the files a kiosk is installed from: no VT switching, no
console on other VTs, no Magic SysRq, no Ctrl+Alt+Del, the compositor restarted when it exits,
and both units hardened to a systemd exposure score of at most 2.0 (every point kept has its
reason written in the unit and in the operations guide)."""

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from .test_units import ROOT, UNITS, directives, installed_units

MAX_EXPOSURE = 2.0
needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze is not installed")
needs_systemctl = pytest.mark.skipif(shutil.which("systemctl") is None,
                                     reason="systemctl is not installed")


def cage_options() -> list[str]:
    words = shlex.split(directives("kiosk.service")["ExecStart"][0])
    assert words[0] == "/usr/bin/cage" and "--" in words
    return words[1:words.index("--")]


def test_cage_does_not_allow_vt_switching():
    """cage's -s *allows* VT switching (Ctrl+Alt+F2 would lead to a login prompt)."""
    assert "-s" not in cage_options()
    assert not any(option.startswith("-") and "s" in option.lstrip("-") and len(option) > 2
                   and not option.startswith("--") for option in cage_options()), "no -s in a bundle"


def test_the_compositor_is_restarted_when_it_exits():
    """cage is the service's main process: its exit (or foot's, or the app's, which ends cage)
    ends the service, and systemd starts it again, forever."""
    found = directives("kiosk.service")
    assert found["Type"] == ["simple"]
    assert found["Restart"] == ["always"]
    assert found["StartLimitIntervalSec"] == ["0"]
    assert found["ExecStart"][0].startswith("/usr/bin/cage ")


@pytest.fixture(scope="module")
def sysroot(tmp_path_factory):
    """deploy/lockdown.sh run for real, into an empty root instead of this machine's."""
    root = tmp_path_factory.mktemp("root")
    result = subprocess.run(["bash", str(ROOT / "deploy" / "lockdown.sh"), str(root)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return root


def test_install_runs_the_lockdown():
    lines = [line.strip() for line in (ROOT / "deploy" / "install.sh").read_text().splitlines()]
    assert '"$SRC/deploy/lockdown.sh" /' in lines


def test_magic_sysrq_is_disabled(sysroot):
    text = (sysroot / "etc/sysctl.d/90-kiosk-lockdown.conf").read_text()
    settings = dict(re.findall(r"^\s*([\w.]+)\s*=\s*(\S+)\s*$", text, re.MULTILINE))
    assert settings == {"kernel.sysrq": "0"}


@needs_systemctl
def test_ctrl_alt_del_and_gettys_are_masked(sysroot):
    units = sysroot / "etc/systemd/system"
    for unit in ("ctrl-alt-del.target", "getty@.service"):
        assert (units / unit).is_symlink() and str((units / unit).readlink()) == "/dev/null", unit


def test_logind_starts_no_console_on_other_vts(sysroot):
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # configparser's documented way to keep keys' case
    parser.read(sysroot / "etc/systemd/logind.conf.d/90-kiosk-lockdown.conf")
    assert dict(parser["Login"]) == {"NAutoVTs": "0", "ReserveVT": "0"}


def test_the_lockdown_leaves_nothing_else(sysroot):
    made = sorted(str(path.relative_to(sysroot)) for path in sysroot.rglob("*")
                  if path.is_file() or path.is_symlink())
    assert made == ["etc/sysctl.d/90-kiosk-lockdown.conf",
                    "etc/systemd/logind.conf.d/90-kiosk-lockdown.conf",
                    "etc/systemd/system/ctrl-alt-del.target",
                    "etc/systemd/system/getty@.service"]


def security(unit_path: Path) -> tuple[float, list[str]]:
    """systemd's exposure score of a unit file and the settings it still counts against it."""
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                             str(unit_path)], capture_output=True, text=True, timeout=60,
                            cwd=unit_path.parent)
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert score, result.stdout + result.stderr
    kept = re.findall(r"^✗ (\S+?)=", result.stdout, re.MULTILINE)
    return float(score.group(1)), kept


@needs_systemd_analyze
@pytest.mark.parametrize("unit", UNITS)
def test_exposure_score_is_at_most_two(unit, tmp_path):
    score, _kept = security(installed_units(tmp_path)[unit])
    assert score <= MAX_EXPOSURE, f"{unit}: exposure {score}"


@needs_systemd_analyze
@pytest.mark.parametrize("unit", UNITS)
def test_every_point_kept_has_its_reason_written(unit, tmp_path):
    _score, kept = security(installed_units(tmp_path)[unit])
    comments = "\n".join(line for line in (ROOT / unit).read_text().splitlines()
                         if line.startswith("#"))
    operations = (ROOT / "docs" / "operations.md").read_text()
    for name in kept:
        assert name in comments, f"{unit}: no comment says why {name} is kept"
        assert f"`{name}`" in operations, f"docs/operations.md does not say why {name} is kept"
