"""``kiosk`` command line: help, tech-pin hashing, config check."""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_app import cli
from kiosk_app.techpin import verify_pin

BIN = Path(sys.executable).parent


def test_help_lists_the_subcommands():
    out = subprocess.run([BIN / "kiosk", "--help"], capture_output=True, text=True, check=True).stdout
    assert "run" in out and "tech-pin" in out and "config" in out


def test_tech_pin_prints_a_verifiable_toml_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("482193\n"))
    assert cli.main(["tech-pin"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith('tech_pin_hash = "scrypt$') and line.endswith('"')
    assert verify_pin("482193", line.split('"')[1])


def test_tech_pin_raw_and_bad_pin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("482193\n"))
    assert cli.main(["tech-pin", "--raw"]) == 0
    assert verify_pin("482193", capsys.readouterr().out.strip())
    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    assert cli.main(["tech-pin"]) == 2
    assert "6 to 12 digits" in capsys.readouterr().err


@pytest.mark.parametrize("pin", ["1234", "12345"])
def test_tech_pin_refuses_fewer_than_six_digits(pin):
    """The real command, as a technician runs it: nothing printed to paste, exit 2."""
    result = subprocess.run([BIN / "kiosk", "tech-pin"], input=pin + "\n", capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert result.stdout == "" and "6 to 12 digits" in result.stderr


def test_config_check_hides_secrets_and_names_bad_keys(tmp_path, monkeypatch, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text('id = "lobby-1"\napi_token = "t0ken"\n')
    assert cli.main(["--config", str(config), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "id = lobby-1" in out and "api_token = (set)" in out and "t0ken" not in out
    monkeypatch.setenv("KIOSK_LANG", "fr")
    assert cli.main(["--config", str(config), "config", "check"]) == 2
    assert "KIOSK_LANG" in capsys.readouterr().err


def test_config_check_says_which_file_it_read_and_warns_of_unknown_variables(tmp_path, monkeypatch,
                                                                              capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text('id = "lobby-1"\n')
    monkeypatch.setenv("KIOSK_CALL_TIMEOUT", "900")  # misspelt: the setting is call_timeout_ms
    assert cli.main(["--config", str(config), "config", "check"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"# read {config}\n") and "call_timeout_ms = 610" in captured.out
    assert ("KIOSK_CALL_TIMEOUT is not a setting and is ignored (did you mean KIOSK_CALL_TIMEOUT_MS?)"
            in captured.err)


def test_without_a_file_config_check_says_so_and_errors_name_no_missing_file(tmp_path, monkeypatch,
                                                                              capsys):
    monkeypatch.setattr("sync_agent.settings.DEFAULT_CONFIG_PATH", tmp_path / "absent.toml")
    assert cli.main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# no configuration file (") and "embedded defaults" in out
    monkeypatch.setenv("KIOSK_LANG", "fr")
    assert cli.main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert "no configuration file" in err and "absent.toml" not in err


def test_unknown_subcommand_is_an_error():
    with pytest.raises(SystemExit):
        cli.main(["fly"])
