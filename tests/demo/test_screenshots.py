"""``python -m kiosk_demo.screenshots`` writes every README picture as an SVG that Textual made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

NAMES = {"welcome", "welcome-en", "member", "return", "busy", "technician", "receipt", "demo"}


def test_screenshots_are_written(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kiosk_demo.screenshots", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert {p.stem for p in tmp_path.glob("*.svg")} == NAMES
    welcome = (tmp_path / "welcome.svg").read_text()
    assert welcome.startswith('<svg class="rich-terminal"') and "textualize" in welcome
    assert "DEMO" in (tmp_path / "demo.svg").read_text()
    assert "혼잡" in (tmp_path / "busy.svg").read_text()             # "lending is busy"
    assert "received:&#160;1&#160;(mail/001.eml)" in (tmp_path / "demo.svg").read_text(), \
        "the demo's mail server got the receipt the agent sent, and the panel says so"
    mail = (tmp_path / "receipt-email.txt").read_text()
    assert "To: minji.kim@example.org" in mail and "채식주의자" in mail
    printed = Image.open(tmp_path / "receipt-printed.png")
    assert printed.width == 576 and printed.height > 200, "the decoded raster of an 80 mm receipt"
