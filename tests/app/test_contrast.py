"""Every text on every patron screen at 4.5:1 or more against its background, in each theme
(kiosk_app.themes): the app goes through the screens of a long visit as the layout tests do, and
each visible character's colours, as Textual rendered them, are measured by the WCAG ratio. The
lowest ratio per theme goes to var/contrast.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.color import Color as RichColor
from rich.segment import Segment
from textual.color import Color

from hardware.codes import CodeKind
from kiosk_app.outcomes import BUSY, Refusal
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import OfferScreen, StillHereScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.technician import TechScreen
from kiosk_app.screens.view_choice import ViewScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.themes import MIN_CONTRAST, THEMES, contrast
from kiosk_data.codes import HOLD_READY_ISBN

from .conftest import SIZE, settle
from .test_layout_fit import OFFER, a_long_visit

DRAWING = range(0x2500, 0x25A0)
"""Box drawing and block elements: the buttons' and dialogs' edges, scroll bars, the drawings of a
book's labels; not text (the characters of a text that are in it are measured with the rest)."""

Pair = tuple[tuple[int, int, int], tuple[int, int, int]]


def _rgb(color: RichColor | None, fallback: Color) -> Color:
    if color is None or color.is_default:
        return fallback
    triplet = color.get_truecolor()
    return Color(triplet.red, triplet.green, triplet.blue)


def text_pairs(app: Any, where: str, seen: dict[Pair, str]) -> None:
    """The (foreground, background) of each visible character of the screen as drawn now."""
    theme = app.current_theme
    background = Color.parse(theme.background or "#000000")
    foreground = Color.parse(theme.foreground or "#ffffff")
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            text, style, _ = segment if isinstance(segment, Segment) else (segment, None, None)
            text = "".join(char for char in text if ord(char) not in DRAWING)
            if not text.strip() or style is None:
                continue
            fg, bg = _rgb(style.color, foreground), _rgb(style.bgcolor, background)
            if style.reverse:
                fg, bg = bg, fg
            if style.dim:
                fg = bg.blend(fg, 0.5)
            seen.setdefault(((fg.r, fg.g, fg.b), (bg.r, bg.g, bg.b)), f"{where}: {text.strip()[:20]!r}")


async def every_screen(pilot: Any, seen: dict[Pair, str]) -> None:
    app = pilot.app

    async def look(name: str) -> None:
        await settle(pilot)
        text_pairs(app, f"{name} in {app.lang}", seen)

    for lang in ("ko", "en"):
        app.lang = lang
        for online in (True, False):
            app.online = online
            await app.show_base(WelcomeScreen)
            await look("welcome")
            await app.show_base(ReturnScreen)
            await look("returns")
            await app.show_base(MemberScreen)
            await look("member")
        app.screen.query_one("#done").focus()
        await look("member, done focused")
        for refusal in (BUSY, Refusal.for_code("member_blocked")):
            await app.show_notice(refusal)
            await look(f"notice {refusal.why}")
        await app.handle_scan(CodeKind.ISBN, HOLD_READY_ISBN)
        await look("isbn help")
        await app.show_base(MemberScreen)
        await app.push_screen(OfferScreen(OFFER))
        await look("offer")
        await app.push_screen(StillHereScreen())
        await look("still here")
        await app.show_base(ReceiptScreen)
        await look("receipt")
        await app.push_screen(ViewScreen())
        await look("view chooser")
        await app.pop_screen()
        await app.open_pin_pad()
        await look("technician PIN pad")
        await app.pop_screen()
        await app.push_screen(TechScreen())
        await look("technician")
        await app.pop_screen()


@pytest.mark.parametrize("setting", sorted(THEMES))
async def test_every_text_has_a_contrast_of_4_5_to_1(offline_kiosk, tmp_path, setting):
    app = offline_kiosk(theme=setting, receipt_printer=tmp_path / "printer", smtp_host="127.0.0.1").app
    seen: dict[Pair, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == THEMES[setting].name
        a_long_visit(app)
        await app.receipts.check_printer()
        await every_screen(pilot, seen)
    ratios = sorted((contrast(Color(*fg), Color(*bg)), fg, bg, where) for (fg, bg), where in seen.items())
    assert len(ratios) >= 5, "the text's colours were read"
    failing = [f"{ratio:.2f}: #{bytes(fg).hex()} on #{bytes(bg).hex()} ({where})"
               for ratio, fg, bg, where in ratios if ratio < MIN_CONTRAST]
    report = Path(__file__).resolve().parents[2] / "var" / "contrast.json"
    report.parent.mkdir(exist_ok=True)
    figures = json.loads(report.read_text()) if report.exists() else {}
    figures[setting] = {"lowest": round(ratios[0][0], 2), "pairs": len(ratios), "where": ratios[0][3]}
    report.write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    assert not failing, f"{setting}: under {MIN_CONTRAST}:1:\n" + "\n".join(failing[:25])
