"""``kiosk screen``: the font's pixel size from the display's mode and physical size, and foot
started with it (a stand-in foot and wlr-randr on PATH record what they were given)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.display import Output
from kiosk_app.terminal import font_family, font_pixels, plan
from kiosk_testing.display_grids import wlr_randr_answer as randr
from sync_agent.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("pixels", "mm", "font"), [
    (1080, 268, 49), (1024, 301, 41), (800, 207, 47), (1920, 476, 49)])
def test_a_line_of_text_is_never_under_12_mm(pixels, mm, font):
    px, how = font_pixels(pixels, mm, 12.0)
    assert (px, how) == (font, "measured")
    assert px * mm / pixels >= 12.0 > (px - 1) * mm / pixels


def test_an_unknown_display_size_is_a_96_dpi_guess_said_as_such():
    assert font_pixels(1080, None, 12.0) == (46, "guessed at 96 dpi")


def test_the_font_family_comes_from_the_kiosks_foot_ini(tmp_path):
    assert font_family(ROOT / "deploy" / "foot.ini") == "Noto Sans Mono CJK KR"
    assert font_family(tmp_path / "absent.ini") == "Noto Sans Mono CJK KR"


def test_the_setting_wins_over_the_edid_and_reaches_the_app():
    chosen = plan(Settings(display_size_mm="331x207"),
                  Output("HDMI-A-1", (1280, 800), (520, 320)), ROOT / "deploy" / "foot.ini", None)
    assert "--override" in chosen.argv and "main.font=Noto Sans Mono CJK KR:pixelsize=47" in chosen.argv
    assert "main.line-height=47px" in chosen.argv and chosen.argv[-1] == "run"
    assert "main.vertical-letter-offset=-5px" in chosen.argv
    assert chosen.env == {"KIOSK_DISPLAY_SIZE_MM": "331x207"} and chosen.measured
    assert "from display_size_mm" in chosen.why


def test_without_any_size_the_guess_is_marked_for_the_technician():
    chosen = plan(Settings(), None, ROOT / "deploy" / "foot.ini", None)
    assert not chosen.measured and chosen.env == {} and "size unknown" in chosen.why


def _stand_ins(folder: Path, randr_answer: str) -> dict[str, str]:
    """A foot that writes down its arguments and KIOSK_DISPLAY_SIZE_MM, and a wlr-randr that gives
    ``randr_answer``, first on PATH."""
    (folder / "wlr-randr").write_text(f"#!/bin/sh\ncat <<'END'\n{randr_answer}\nEND\n")
    (folder / "foot").write_text(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.args\"\necho \"$KIOSK_DISPLAY_SIZE_MM\" > \"$0.env\"\n")
    for name in ("wlr-randr", "foot"):
        (folder / name).chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def test_kiosk_screen_becomes_foot_sized_for_the_display_it_is_shown_on(tmp_path):
    env = _stand_ins(tmp_path, randr(1280, 1024, (376, 301)))
    env.pop("KIOSK_DISPLAY_SIZE_MM", None)
    done = subprocess.run([sys.executable, "-m", "kiosk_app.cli", "screen", "--foot-config",
                           str(ROOT / "deploy" / "foot.ini")], env=env, capture_output=True,
                          text=True, timeout=30, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "foot.args").read_text().splitlines()
    assert "main.font=Noto Sans Mono CJK KR:pixelsize=41" in args
    assert args[-3:] == ["-m", "kiosk_app.cli", "run"]
    assert (tmp_path / "foot.env").read_text().strip() == "376x301"
    assert "display 1280x1024 px, 376x301 mm (from EDID): font 41 px for 12 mm lines" in done.stderr


def test_kiosk_screen_on_an_unknown_display_warns_and_still_starts(tmp_path):
    env = _stand_ins(tmp_path, "garbage")
    env.pop("KIOSK_DISPLAY_SIZE_MM", None)
    done = subprocess.run([sys.executable, "-m", "kiosk_app.cli", "screen", "--foot-config",
                           str(ROOT / "deploy" / "foot.ini")], env=env, capture_output=True,
                          text=True, timeout=30, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pixelsize=46" in (tmp_path / "foot.args").read_text()
    assert "set display_size_mm for text of a legal size" in done.stderr
