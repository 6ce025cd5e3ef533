"""Configuration: TOML file, KIOSK_* overrides, and errors that name the key."""

from pathlib import Path

import pytest

from sync_agent.settings import SECRET_KEYS, ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("KIOSK_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_default_file_is_absent(monkeypatch, tmp_path):
    monkeypatch.setattr("sync_agent.settings.DEFAULT_CONFIG_PATH", tmp_path / "missing.toml")
    settings = load_settings()
    assert settings.lang == "ko"
    assert settings.offline_checkout == "deny"
    assert settings.call_timeout_ms == 610


def test_file_values_are_read(tmp_path):
    settings = load_settings(write(tmp_path, 'id = "lobby-2"\nscanner_baud = 115200\nlang = "en"\n'))
    assert (settings.id, settings.scanner_baud, settings.lang) == ("lobby-2", 115200, "en")


def test_environment_overrides_file(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_LANG", "ko")
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "store"))
    settings = load_settings(write(tmp_path, 'lang = "en"\n'))
    assert settings.lang == "ko"
    assert settings.db_path == tmp_path / "store" / "kiosk.sqlite3"


def test_bad_value_names_key_and_form(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, "scanner_baud = 1234\n"))
    message = str(error.value)
    assert "scanner_baud (KIOSK_SCANNER_BAUD)" in message
    assert "9600" in message


def test_bad_env_value_names_env_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_OFFLINE_CHECKOUT", "sometimes")
    with pytest.raises(ConfigError, match="KIOSK_OFFLINE_CHECKOUT"):
        load_settings(write(tmp_path, ""))


def test_unknown_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="scaner_port: unknown key"):
        load_settings(write(tmp_path, 'scaner_port = "/dev/ttyUSB0"\n'))


def test_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_broken_toml_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "lang = \n"))


def test_secret_is_hidden_in_errors_and_repr(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_API_TOKEN", "s3cr3t-token")
    settings = load_settings(write(tmp_path, ""))
    assert "s3cr3t-token" not in repr(settings)
    assert settings.api_token.get_secret_value() == "s3cr3t-token"


def test_token_from_systemd_credential(monkeypatch, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "kiosk_api_token").write_text("from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    settings = load_settings(write(tmp_path, 'api_token = "from-file"\n'))
    assert settings.api_token.get_secret_value() == "from-credential"


def test_credentials_in_the_api_url_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="api_url") as error:
        load_settings(write(tmp_path, 'api_url = "https://kiosk:hunter2@central.example/api"\n'))
    assert "hunter2" not in str(error.value)


def test_receipt_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setattr("sync_agent.settings.DEFAULT_CONFIG_PATH", tmp_path / "missing.toml")
    monkeypatch.setenv("KIOSK_RECEIPT_WIDTH_MM", "58")
    monkeypatch.setenv("KIOSK_RECEIPT_CHOICES", " email , none,email")
    settings = load_settings()
    assert settings.receipt_width_mm == 58 and settings.receipt_options == ("email", "none")
    monkeypatch.setenv("KIOSK_RECEIPT_WIDTH_MM", "60")
    with pytest.raises(ConfigError, match="receipt_width_mm .*must be 80 or 58"):
        load_settings()
    monkeypatch.setenv("KIOSK_RECEIPT_WIDTH_MM", "80")
    monkeypatch.setenv("KIOSK_RECEIPT_CHOICES", "print,fax")
    with pytest.raises(ConfigError, match="receipt_choices .*some of print, email, none"):
        load_settings()


def test_the_smtp_password_comes_from_its_credential_and_is_never_shown(monkeypatch, tmp_path):
    monkeypatch.setattr("sync_agent.settings.DEFAULT_CONFIG_PATH", tmp_path / "missing.toml")
    (tmp_path / "kiosk_smtp_password").write_text("s3cret-mail")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    settings = load_settings()
    assert settings.smtp_password.get_secret_value() == "s3cret-mail"
    assert "smtp_password" in SECRET_KEYS


def test_the_theme_is_standard_unless_the_library_sets_high_contrast(monkeypatch, tmp_path):
    assert load_settings(write(tmp_path, "")).theme == "standard"
    monkeypatch.setenv("KIOSK_THEME", "high-contrast")
    assert load_settings(write(tmp_path, 'theme = "standard"\n')).theme == "high-contrast"
    monkeypatch.setenv("KIOSK_THEME", "dark")
    with pytest.raises(ConfigError, match="theme"):
        load_settings(write(tmp_path, ""))
