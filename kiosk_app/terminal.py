"""``kiosk screen``: the patron terminal, with text of a legal size on the glass.

Korea's kiosk accessibility criteria (MSIT) ask for text at least 12 mm high on a screen over
11 inches. How many pixels that takes depends on the display: 49 px on a 21.5-inch 1920x1080 panel,
41 px on a 19-inch 1280x1024 one. So ``kiosk.service`` does not start the terminal with a fixed font:
it starts ``cage -- kiosk screen``, and this asks the compositor for the output's current mode and
physical size (``wlr-randr --json``, where the compositor reports the EDID's size), or takes the
``display_size_mm`` setting, works out the font's pixel size for one line of ``text_height_mm``,
and replaces itself with foot running ``kiosk run``.

The line height is pinned to the font's size (foot's ``line-height``), so a line of text is the
12 mm and a cell is half as wide (Noto Sans Mono CJK's Latin advance); the glyphs are lifted a
tenth of that so descenders are not cut. The app is handed the
display's size as ``KIOSK_DISPLAY_SIZE_MM``, from which it knows how many cells a 15 mm touch
target takes (:mod:`kiosk_app.screen_fit`).
"""

from __future__ import annotations

import configparser
import logging
import math
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from hardware.display import DisplayError, Output, read_outputs
from sync_agent.settings import Settings, parse_size_mm

log = logging.getLogger(__name__)

FALLBACK_PX_PER_MM = 96 / 25.4
"""Where neither the display nor the settings say how big it is: a 96 dpi guess, logged as such."""

FOOT_CONFIG = Path("/etc/kiosk/foot.ini")
DEFAULT_FAMILY = "Noto Sans Mono CJK KR"
LIFT = 0.1
"""With the line as high as the font, foot sets the baseline for the font's own (taller) line and
cuts the descenders of g, p and y; lifting the glyphs by a tenth of the size shows them whole."""


def ask_compositor() -> Output | None:
    """The first enabled output of the compositor this runs under, or None (no wlr-randr, no
    compositor, or an answer it cannot read: each logged)."""
    try:
        outputs = read_outputs()
    except DisplayError as exc:
        log.warning("the display's mode is unknown (%s)", exc)
        return None
    return outputs[0] if outputs else None


def font_pixels(height_px: int | None, height_mm: float | None, text_mm: float) -> tuple[int, str]:
    """The font's pixel size for a line ``text_mm`` high, rounded up (never under the law), and
    how that was known."""
    if height_px and height_mm:
        return math.ceil(text_mm * height_px / height_mm), "measured"
    return math.ceil(text_mm * FALLBACK_PX_PER_MM), "guessed at 96 dpi"


def font_family(config: Path) -> str:
    """The first family of foot.ini's ``font=`` (sizes dropped), or Noto Sans Mono CJK KR."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string("[top]\n" + config.read_text(encoding="utf-8"))
    except (OSError, configparser.Error):
        return DEFAULT_FAMILY
    font = parser.get("main", "font", fallback="").split(",")[0].split(":")[0].strip()
    return font or DEFAULT_FAMILY


@dataclass(frozen=True)
class Plan:
    """foot's command line, the variables added for the app, one line saying why this font size,
    and whether the size was measured (False: a guess the technician should correct)."""

    argv: list[str]
    env: dict[str, str]
    why: str
    measured: bool


def plan(settings: Settings, output: Output | None, config: Path, config_file: Path | None) -> Plan:
    """How to start foot on ``output`` (None: the compositor did not say) for ``settings``."""
    size_mm = parse_size_mm(settings.display_size_mm) if settings.display_size_mm else (
        output.size_mm if output else None)
    pixels = output.pixels if output else None
    px, how = font_pixels(pixels[1] if pixels else None, size_mm[1] if size_mm else None,
                          settings.text_height_mm)
    family = font_family(config)
    kiosk = [sys.executable, "-m", "kiosk_app.cli"]
    if config_file:
        kiosk += ["--config", str(config_file)]
    argv = [shutil.which("foot") or "/usr/bin/foot", f"--config={config}",
            "--override", f"main.font={family}:pixelsize={px}",
            "--override", f"main.line-height={px}px",
            "--override", f"main.vertical-letter-offset=-{round(px * LIFT)}px", *kiosk, "run"]
    env = {"KIOSK_DISPLAY_SIZE_MM": f"{size_mm[0]:g}x{size_mm[1]:g}"} if size_mm else {}
    shown = f"{pixels[0]}x{pixels[1]} px" if pixels else "unknown mode"
    where = "display_size_mm" if settings.display_size_mm else "EDID" if size_mm else "nothing"
    mm = f"{size_mm[0]:g}x{size_mm[1]:g} mm (from {where})" if size_mm else "size unknown"
    why = (f"display {shown}, {mm}: font {px} px for {settings.text_height_mm:g} mm lines "
           f"({how})")
    return Plan(argv, env, why, how == "measured")


def run(settings: Settings, config_file: Path | None, config: Path = FOOT_CONFIG) -> int:
    """Replace this process with foot running the app; returns only if foot cannot be started."""
    chosen = plan(settings, ask_compositor(), config, config_file)
    if chosen.measured:
        log.info("%s", chosen.why)
    else:
        log.warning("%s; set display_size_mm for text of a legal size", chosen.why)
    try:
        os.execve(chosen.argv[0], chosen.argv, {**os.environ, **chosen.env})
    except OSError as exc:
        log.error("cannot start the terminal %s: %s", chosen.argv[0], exc)
    return 1
