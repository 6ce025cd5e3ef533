"""The patron screen's colours: two Textual themes, and the contrast a text needs on them.

Korean accessibility law asks for a contrast of at least 4.5:1 between any text and what is
behind it (the WCAG ratio). Every ``$variable`` of kiosk.tcss comes from the app's theme, so a
theme is the whole of the colours: ``standard`` (dark blue-grey, close to Textual's own dark
theme, with the colours that read too faintly on it made lighter) and ``high-contrast`` (pure
black, white and yellow text, strong borders). The library picks the default (setting ``theme``);
the patron may switch for the visit. tests/app/test_contrast.py renders every patron screen in
each theme and checks the contrast of each colour pair of visible text.
"""

from __future__ import annotations

from typing import Literal

from textual.color import Color
from textual.theme import Theme

ThemeSetting = Literal["standard", "high-contrast"]
MIN_CONTRAST = 4.5
"""Text against its background, at least (WCAG 2.1 1.4.3, KWCAG 5.3.3)."""

STANDARD = Theme(
    name="kiosk-standard",
    primary="#0062B5",
    secondary="#004578",
    accent="#ffa62b",
    warning="#ffa62b",
    error="#ff7b8f",
    success="#5fd38a",
    foreground="#e0e0e0",
    variables={
        "text-muted": "#b4b4b4",
        "block-cursor-foreground": "#ffffff",
        "footer-key-foreground": "#ffa62b",
    },
)
"""Textual's dark theme, with a darker blue (white on its own is 3.8:1), a lighter red and green
(its own read at under 4.5:1 on the dark surface) and muted text that is grey rather than faded."""

BLACK, WHITE, YELLOW, RED, GREEN = "#000000", "#ffffff", "#ffff00", "#ff9a9a", "#7dff7d"

HIGH_CONTRAST = Theme(
    name="kiosk-high-contrast", dark=True, foreground=WHITE, primary=YELLOW, secondary=WHITE, accent=YELLOW,
    warning=YELLOW, error=RED, success=GREEN, background=BLACK, surface=BLACK, panel=BLACK, boost=BLACK,
    variables={
        "text": WHITE,
        "text-muted": WHITE,
        "text-primary": YELLOW,
        "text-accent": YELLOW,
        "text-warning": YELLOW,
        "text-error": RED,
        "text-success": GREEN,
        "primary-darken-2": BLACK,
        "button-foreground": WHITE,
        "button-color-foreground": BLACK,
        "button-focus-text-style": "bold reverse",
        "block-cursor-foreground": BLACK,
        "block-cursor-background": YELLOW,
        "border": YELLOW,
        "border-blurred": WHITE,
        "scrollbar": WHITE,
        "scrollbar-background": BLACK,
        "scrollbar-hover": YELLOW,
        "scrollbar-active": YELLOW,
        "scrollbar-corner-color": BLACK,
        "input-cursor-background": YELLOW,
        "input-cursor-foreground": BLACK,
        "footer-key-foreground": YELLOW,
    },
)
"""Black everywhere, text white, what stands out yellow; a focused control is drawn reversed."""

THEMES: dict[ThemeSetting, Theme] = {"standard": STANDARD, "high-contrast": HIGH_CONTRAST}


def theme_name(setting: ThemeSetting) -> str:
    """The registered Textual theme of a ``theme`` setting."""
    return THEMES[setting].name


def luminance(color: Color) -> float:
    """WCAG relative luminance of an opaque colour, 0 (black) to 1 (white)."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(foreground: Color, background: Color) -> float:
    """The WCAG contrast ratio of two opaque colours, 1 to 21."""
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
