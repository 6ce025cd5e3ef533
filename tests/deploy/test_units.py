"""The systemd units: verified by systemd-analyze, and hardened as the operations guide promises."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("kiosk.service", "kiosk-sync.service")
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ReadWritePaths": "/var/lib/kiosk",
    "CapabilityBoundingSet": "",
    "User": "kiosk",
    "Restart": "always",
}


def directives(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (ROOT / unit).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("unit", UNITS)
def test_unit_is_hardened(unit):
    found = directives(unit)
    for key, value in HARDENING.items():
        assert found.get(key) == [value], f"{unit}: {key}"
    assert "kiosk_api_token:/etc/kiosk/api-token" in found["LoadCredential"]
    assert "KIOSK_API_TOKEN" not in (ROOT / unit).read_text()


def test_only_the_app_gets_the_card_lookup_key():
    """The agent never looks a card up, so it never holds the key (docs/privacy.md)."""
    assert "kiosk_card_key:/etc/kiosk/card-key" in directives("kiosk.service")["LoadCredential"]
    assert "card" not in " ".join(directives("kiosk-sync.service")["LoadCredential"])


def test_agent_is_a_notify_service_with_watchdog():
    found = directives("kiosk-sync.service")
    assert found["Type"] == ["notify"]
    assert found["WatchdogSec"] and found["WatchdogSec"][0].endswith("s")
    assert found["ExecStart"][0].endswith("kiosk-sync --config /etc/kiosk/kiosk.toml run")


def test_app_has_a_watchdog_its_event_loop_may_feed_from_under_cage():
    found = directives("kiosk.service")
    assert found["WatchdogSec"] and found["WatchdogSec"][0].endswith("s")
    assert found["NotifyAccess"] == ["all"], "the app is not the unit's main process (cage is)"


def test_app_owns_tty1_under_the_kiosk_compositor():
    found = directives("kiosk.service")
    assert found["TTYPath"] == ["/dev/tty1"]
    assert found["Conflicts"] == ["getty@tty1.service"]
    assert found["ExecStart"][0].startswith("/usr/bin/cage ")
    assert found["ExecStart"][0].endswith("/opt/kiosk/venv/bin/kiosk --config /etc/kiosk/kiosk.toml screen")


def installed_units(folder: Path) -> dict[str, Path]:
    """The units as systemd would see them on a kiosk, written to ``folder``: the installed paths
    (/opt/kiosk/venv) mapped to this checkout's environment; cage and foot, absent on test
    machines, mapped to /usr/bin/env, which keeps the command line's shape."""
    bin_dir = Path(sys.executable).parent
    written = {}
    for unit in UNITS:
        text = (ROOT / unit).read_text().replace("/opt/kiosk/venv/bin", str(bin_dir))
        for absent in ("/usr/bin/cage", "/usr/bin/foot"):
            if not Path(absent).exists():
                text = text.replace(absent, "/usr/bin/env")
        written[unit] = folder / unit
        written[unit].write_text(text)
    return written


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_verify(tmp_path):
    """systemd-analyze checks every key and that each ExecStart binary exists."""
    units = installed_units(tmp_path)
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, units.values())],
        capture_output=True, text=True, timeout=60,
    )
    ours = [line for line in result.stderr.splitlines() if "kiosk" in line]
    assert result.returncode == 0, result.stderr
    assert ours == [], "\n".join(ours)


def test_install_script_parses():
    result = subprocess.run(["bash", "-n", str(ROOT / "deploy" / "install.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
