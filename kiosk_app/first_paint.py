"""The few settings the welcome screen is drawn with, read before the settings model is.

A restarted kiosk should show its welcome screen within twice a bare Textual app's start. The
settings model (pydantic, :mod:`sync_agent.settings`) costs about as much to import as Textual
itself, so ``kiosk run`` draws the first frame from :class:`FirstPaint` and loads the model right
after, with the store and the central adapter (:mod:`kiosk_app.start`).

The keys are read from the same sources as the model (the TOML file, then ``KIOSK_*`` variables,
which win) with the standard library only, and leniently: a value this reading cannot use is
replaced by its default, and nothing is reported here. The model, loaded a moment later, is the
judge: a bad value still ends ``kiosk run`` with ``kiosk: ...`` and exit 2 naming the key, and once
the model has confirmed the keys the app takes its values from it (:meth:`KioskApp.attach
<kiosk_app.app.KioskApp.attach>` lays the screen out again where they differ, which can only be
where this reading fell back to a default). So the first frame is never drawn from a value the
model would refuse, and a refused value is never silently kept.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kiosk_app.i18n import Lang
from sync_agent.config_values import DEFAULT_CONFIG_PATH, ENV_PREFIX, parse_size_mm

if TYPE_CHECKING:
    from sync_agent.settings import Settings


@dataclass(frozen=True, slots=True)
class FirstPaint:
    """The welcome screen's settings: language, colours, the display's size (for the touch
    targets' height), the inactivity timeout and the folder of the log. The defaults are the
    settings model's."""

    lang: Lang = "ko"
    theme: Literal["standard", "high-contrast"] = "standard"
    display_mm: tuple[float, float] | None = None
    """The patron display's visible area (width, height) in mm; None on a developer's terminal."""
    session_timeout_s: int = 60
    data_dir: Path = Path("/var/lib/kiosk")

    @classmethod
    def of(cls, settings: Settings) -> FirstPaint:
        """The same keys from the validated settings."""
        return cls(settings.lang, settings.theme, size_mm(settings.display_size_mm),
                   settings.session_timeout_s, settings.data_dir)


def size_mm(value: str) -> tuple[float, float] | None:
    """``"476x268"`` as (width, height) in mm; None for empty or anything the model would refuse."""
    try:
        return parse_size_mm(value)
    except ValueError:
        return None


def read(config_path: Path | None = None, environ: dict[str, str] | None = None) -> FirstPaint:
    """The keys from the TOML file (absent or unreadable: none) and ``KIOSK_*`` variables."""
    values: dict[str, Any] = {}
    try:
        with (config_path or DEFAULT_CONFIG_PATH).open("rb") as handle:
            values = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        pass  # the settings model says what is wrong with the file
    env = os.environ if environ is None else environ
    for key in ("lang", "theme", "display_size_mm", "session_timeout_s", "data_dir"):
        if ENV_PREFIX + key.upper() in env:
            values[key] = env[ENV_PREFIX + key.upper()]
    default = FirstPaint()
    lang = values.get("lang")
    theme = values.get("theme")
    timeout = str(values.get("session_timeout_s", ""))
    data_dir = values.get("data_dir")
    return FirstPaint(
        lang="en" if lang == "en" else default.lang,
        theme="high-contrast" if theme == "high-contrast" else default.theme,
        display_mm=size_mm(str(values.get("display_size_mm", ""))),
        session_timeout_s=int(timeout) if timeout.isdigit() and 10 <= int(timeout) <= 600
        else default.session_timeout_s,
        data_dir=Path(data_dir) if isinstance(data_dir, str) and data_dir else default.data_dir,
    )
