"""Kiosk configuration: one TOML file, overridden by ``KIOSK_*`` environment variables.

Both processes (the app and the agent) load the same settings.

Two call timeouts: ``call_timeout_ms`` (the seed's 610 ms) for the calls a patron waits for, where a
slow answer is worth less than a fast "please try again in a minute"; ``background_timeout_ms``
(5 s) for the agent's calls, which nobody waits for. A service that stays slower than 610 ms (book
management answering in 700-800 ms) would otherwise time out every replay of an intent the patron
was told does not count, for as long as it stays slow, and the loan would never be undone. 5 s is
several times the slowest answer seen from a slow service, yet short enough that one claim (three
tries) still ends in well under the minute within which an undo must be done, and that a request
the central side never answers is found out in seconds, not minutes. Keys in the TOML file are the field
names below (``scanner_port = "/dev/kiosk-scanner"``); the environment variable of a key is
``KIOSK_`` plus the key in capitals (``KIOSK_SCANNER_PORT``). The environment wins over systemd
credentials (``LoadCredential=kiosk_api_token:...``, read from ``$CREDENTIALS_DIRECTORY``), those
over the file, and the file over the defaults. A bad value raises :class:`ConfigError` naming the key and the form
it expects, so a technician can fix it from the message alone.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sync_agent.config_values import DEFAULT_CONFIG_PATH, ENV_PREFIX, parse_size_mm

SECRET_KEYS = ("api_token", "tech_pin_hash", "card_key", "sip2_password", "sip2_terminal_password",
               "smtp_password")
"""Settings never shown: not in errors, not on the technician screen, not by ``config check``."""
RECEIPT_CHOICES = ("print", "email", "none")
STANDARD_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and what form it wants."""


class Settings(BaseSettings):
    """Every setting of the kiosk, with the embedded defaults that `kiosk demo` runs on."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    id: str = Field("kiosk-01", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
                    description="this kiosk's name, unique in the library's fleet")
    data_dir: Path = Field(Path("/var/lib/kiosk"), description="folder of the SQLite store")
    api_url: AnyHttpUrl = Field(AnyHttpUrl("http://127.0.0.1:8080"),
                                description="base URL of the central API")
    api_token: SecretStr = Field(SecretStr(""), description="bearer token for the central API")
    central: Literal["rest", "sip2"] = Field(
        "rest", description="which adapter speaks to the library system: rest (the central API) or sip2")
    sip2_host: str = Field("127.0.0.1", min_length=1, description="the SIP2 ACS's host")
    sip2_port: int = Field(6001, ge=1, le=65535, description="the SIP2 ACS's port")
    sip2_user: str = Field("", description="SIP2 login (93) user")
    sip2_password: SecretStr = Field(SecretStr(""), description="SIP2 login (93) password, best as "
                                     "the systemd credential kiosk_sip2_password")
    sip2_terminal_password: SecretStr = Field(SecretStr(""), description="SIP2 terminal password (AC)")
    sip2_institution: str = Field("", description="SIP2 institution id (AO)")
    sip2_location: str = Field("", description="SIP2 location code (CP)")
    sip2_terminator: Literal["CR", "CRLF"] = Field("CR", description="SIP2 line terminator")
    sip2_encoding: str = Field("utf-8", description="SIP2 character encoding (utf-8, or the legacy "
                               "code page the ACS uses, e.g. cp850, cp949)")
    sip2_checksums: bool = Field(True, description="SIP2 error detection (AY sequence, AZ checksum)")
    sip2_tls: bool = Field(False, description="SIP2 over TLS (the ACS's certificate is verified)")
    sip2_timezone: str = Field("Asia/Seoul", description="time zone of SIP2 dates without a zone")
    call_timeout_ms: int = Field(610, ge=50, le=30_000,
                                 description="timeout of one central call a patron waits for (the seed's 610 ms)")
    background_timeout_ms: int = Field(
        5000, ge=50, le=60_000,
        description="timeout of one central call of the agent (kiosk-sync): deliveries, settling "
                    "intents, compensations; nobody waits for these")
    breaker_failure_threshold: int = Field(5, ge=1, le=100,
                                           description="consecutive failures that open a breaker")
    breaker_reset_s: float = Field(30.0, gt=0, le=3600,
                                   description="seconds an open breaker waits before a trial call")
    breaker_sustained_s: float = Field(
        10.0, ge=0, le=3600, description="seconds timeouts, 5xx or 429 must go on without a success "
        "before they open a breaker (refused connections open it at once)")
    metrics_listen: str = Field("127.0.0.1:9464", description="HOST:PORT where `kiosk-sync run` serves "
                                "Prometheus /metrics; empty to turn off")

    scanner_port: str | None = Field(None, description="serial device of the barcode scanner")
    scanner_baud: int = Field(9600, description="scanner baud rate")
    scanner_terminator: Literal["CR", "LF", "CRLF"] = Field(
        "CR", description="what the scanner sends after each code")
    card_reader_port: str | None = Field(
        None, description="serial device of the card reader; unset: cards come via the scanner")
    card_reader_baud: int = Field(9600, description="card reader baud rate")
    duplicate_window_s: float = Field(1.5, ge=0, le=60,
                                      description="same code from the same device within this is one scan")
    institution: str = Field("0042", pattern=r"^\d{4}$",
                             description="4-digit institution code in member and item barcodes")

    lang: Literal["ko", "en"] = Field("ko", description="the patron screen's first language")
    offline_checkout: Literal["deny", "allow"] = Field(
        "deny", description="whether borrowing is queued when the central API is unreachable")
    offline_max_items: int = Field(3, ge=1, le=20, description="offline borrows per session")
    offline_due_days: int = Field(14, ge=1, le=60, description="loan period shown for offline borrows")
    borrow_wait_s: float = Field(
        3.0, ge=0.5, le=30,
        description="how long a patron waits for a borrow or reservation whose answer was lost "
                    "to be asked again before the screen says it could not be confirmed")
    session_timeout_s: int = Field(60, ge=10, le=600,
                                   description="inactivity before a patron's session ends")
    tech_pin_hash: SecretStr | None = Field(None, description="scrypt hash of the technician PIN")
    patron_pin: Literal["never", "required"] = Field(
        "never", description="whether a patron types their PIN after the card scan, checked by the "
        "library system, before their page opens")
    receipt_printer: Path | None = Field(None, description="device or file receipts are written to")

    relay_parallelism: int = Field(4, ge=1, le=64, description="books delivered in parallel")
    delivered_retention_days: int = Field(30, ge=1, le=3650,
                                          description="how long delivered entries are kept")
    member_view_grace_s: float = Field(
        900.0, ge=0, le=86400,
        description="how long a patron's cached view outlives their visit (docs/privacy.md)")
    card_key: SecretStr = Field(
        SecretStr(""), description="per-kiosk key of the card lookups, best as the systemd "
                                   "credential kiosk_card_key; unset: <data_dir>/card-key")
    library_name: str = Field("한빛도서관 Hanbit Library", min_length=1, max_length=60,
                              description="the library's name, at the top of every receipt")
    display_size_mm: str = Field(
        "", description="the patron display's visible area in mm, WIDTHxHEIGHT (e.g. 476x268 for a "
        "21.5-inch 16:9 panel); empty: the display's own report (EDID)")
    text_height_mm: float = Field(12.0, ge=4, le=40,
                                  description="height of one line of patron text on the display")
    speech: Literal["off", "on"] = Field(
        "off", description="speak prompts and outcomes (the patron may turn it on or off for the visit)")
    speech_out: str = Field(
        "", description="empty: the default sound device (the earphone jack); a folder: each utterance "
        "and tone is written there as a numbered WAV file instead of played")
    speech_volume: int = Field(70, ge=0, le=100,
                               description="the library's speech volume, 0-100 (the patron may change it)")
    speech_rate: int = Field(150, ge=80, le=300,
                             description="the library's speech rate in words per minute (the patron may change it)")
    speech_details: Literal["on_request", "always", "never"] = Field(
        "on_request", description="whether names, titles and amounts are spoken: on_request (when the "
        "patron asks, for the visit), always (earphones only, nobody else hears), never")
    theme: Literal["standard", "high-contrast"] = Field(
        "standard", description="the patron screen's colours: standard, or high-contrast (black, white and "
        "yellow); the patron may switch for the visit")
    receipt_width_mm: int = Field(80, description="receipt paper width in mm (80 or 58)")
    receipt_choices: str = Field(
        "print,email,none", description="what the patron may choose at the end of a visit, from "
        "print, email, none, comma-separated; the first one possible is the default")
    smtp_host: str = Field("", description="the library's mail server; empty: no email receipts")
    smtp_port: int = Field(587, ge=1, le=65535, description="the mail server's port")
    smtp_user: str = Field("", description="mail server login; empty: no login")
    smtp_password: SecretStr = Field(SecretStr(""), description="mail server password, best as the "
                                     "systemd credential kiosk_smtp_password")
    smtp_tls: Literal["starttls", "tls", "off"] = Field(
        "starttls", description="STARTTLS on the plain port, TLS from the start, or off (a local relay)")
    smtp_from: str = Field("kiosk@library.example", description="the sender of email receipts")

    def call_timeout_s(self, owner: str) -> float:
        """One central call's deadline for ``owner``: the patron's ``call_timeout_ms`` in the app,
        ``background_timeout_ms`` in the agent (whatever adapter speaks for it)."""
        return (self.call_timeout_ms if owner == "app" else self.background_timeout_ms) / 1000

    @field_validator("scanner_baud", "card_reader_baud")
    @classmethod
    def _standard_baud(cls, value: int) -> int:
        if value not in STANDARD_BAUDS:
            raise ValueError(f"must be one of {', '.join(map(str, STANDARD_BAUDS))}")
        return value

    @field_validator("sip2_encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError("must be a character encoding Python knows, e.g. utf-8, cp850, cp949") from None
        return value

    @field_validator("sip2_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone, e.g. Asia/Seoul") from None
        return value

    @field_validator("receipt_width_mm")
    @classmethod
    def _paper_width(cls, value: int) -> int:
        if value not in (80, 58):
            raise ValueError("must be 80 or 58 (mm)")
        return value

    @field_validator("receipt_choices")
    @classmethod
    def _known_choices(cls, value: str) -> str:
        choices = [part.strip() for part in value.split(",") if part.strip()]
        if not choices or any(choice not in RECEIPT_CHOICES for choice in choices):
            raise ValueError("must be some of print, email, none, comma-separated")
        return ",".join(dict.fromkeys(choices))

    @field_validator("metrics_listen", "display_size_mm")
    @classmethod
    def _parsable_or_empty(cls, value: str, info: ValidationInfo) -> str:
        # Each may be empty (metrics off, the display's own size); otherwise it must parse.
        if value:
            (listen_address if info.field_name == "metrics_listen" else parse_size_mm)(value)
        return value

    @field_validator("api_url")
    @classmethod
    def _no_credentials_in_url(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        # A URL is shown on the technician screen and in logs; secrets belong in api_token.
        if value.username or value.password:
            raise ValueError("must not contain a user name or password; put the token in api_token")
        return value

    @property
    def db_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"

    @property
    def speech_folder(self) -> Path | None:
        """``speech_out`` as a folder, None for the sound device."""
        return Path(self.speech_out) if self.speech_out.strip() else None

    @property
    def receipt_options(self) -> tuple[str, ...]:
        """``receipt_choices`` in the library's order (the first is the default)."""
        return tuple(self.receipt_choices.split(","))

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        """``metrics_listen`` as (host, port), None when metrics are off."""
        return listen_address(self.metrics_listen) if self.metrics_listen else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs (see load_settings). The environment overrides it,
        # then systemd credentials (files named like the variables, e.g. ``kiosk_api_token``).
        return (env_settings, file_secret_settings, init_settings)


def listen_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9464`` for IPv6) as (host, port); ValueError naming the form."""
    host, sep, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9464 (empty turns metrics off)")
    return host, int(port)


def load_settings(config_path: Path | None = None) -> Settings:
    """Read the TOML file (the default path may be absent; an explicit one must exist) and the
    environment, and validate them together."""
    path = config_path or DEFAULT_CONFIG_PATH
    file_values = _read_toml(path, required=config_path is not None)
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    try:
        return Settings(**file_values, _secrets_dir=credentials)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path if path.exists() else None)) from None


def config_file(config_path: Path | None = None) -> Path | None:
    """The configuration file that :func:`load_settings` reads, or None when there is none (the
    default path absent: embedded defaults and the environment only)."""
    path = config_path or DEFAULT_CONFIG_PATH
    return path if path.exists() else None


def unknown_variables(environ: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    """``KIOSK_*`` variables that are no setting (a misspelt one is otherwise silently ignored),
    each with the setting's variable it most likely meant, if any."""
    known = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
    names = sorted(name for name in (environ if environ is not None else os.environ)
                   if name.startswith(ENV_PREFIX) and name not in known)
    return [(name, next(iter(difflib.get_close_matches(name, known, n=1)), None)) for name in names]


def _read_toml(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{path}: configuration file not found") from None
        return {}
    except PermissionError:
        raise ConfigError(f"{path}: configuration file is not readable by this user") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


_USERINFO = re.compile(r"//[^/@\s]*@")


def _describe(exc: ValidationError, path: Path | None) -> str:
    source = f"{path} and {ENV_PREFIX}* environment" if path else f"{ENV_PREFIX}* environment, no configuration file"
    lines = [f"invalid configuration ({source}):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "?"
        shown = "<hidden>" if key in SECRET_KEYS else repr(error.get("input"))
        shown = _USERINFO.sub("//***@", shown)
        if error["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key")
        else:
            lines.append(f"  {key} ({ENV_PREFIX}{key.upper()}): {error['msg']} (got {shown})")
    return "\n".join(lines)
