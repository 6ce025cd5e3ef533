"""The terminal grids the kiosk app gets on the patron displays the library uses.

Measured on the real stack: foot 1.21 under cage 0.2.0, font Noto Sans Mono CJK KR sized so that
one line of text is 12 mm high on the glass (``text_height_mm``); ``grid_200`` is the patron's
enlargement to 200 % (the compositor's output at scale 2, hardware/display.py). The layout tests
(tests/app/test_layout_fit.py) lay every patron screen out in each grid, and the system test on the
real stack (tests/deploy/test_display_stack.py) asserts that it gives these grids at 100 % and 200 %.
"""

from __future__ import annotations

import json
from typing import NamedTuple


class DisplayGrid(NamedTuple):
    name: str
    """The display's resolution, ``"1920x1080"``."""
    pixels: tuple[int, int]
    """Width and height in pixels."""
    size_mm: tuple[int, int]
    """The visible area, width and height in mm (the setting ``display_size_mm``)."""
    grid: tuple[int, int]
    """Columns and rows at 100 %."""
    grid_200: tuple[int, int]
    """Columns and rows at 200 %."""


DISPLAY_GRIDS: tuple[DisplayGrid, ...] = (
    DisplayGrid("1920x1080", (1920, 1080), (476, 268), (76, 21), (39, 10)),
    DisplayGrid("1280x1024", (1280, 1024), (376, 301), (60, 24), (31, 11)),
    DisplayGrid("1280x800", (1280, 800), (331, 207), (53, 16), (27, 7)),
    DisplayGrid("1080x1920", (1080, 1920), (268, 476), (43, 38), (22, 19)),
)
"""Landscape, 5:4, 16:10 and portrait (1080x1920 is landscape 1920x1080 turned)."""


def size_setting(display: DisplayGrid) -> str:
    """The display's size as the setting ``display_size_mm`` writes it (``"476x268"``)."""
    return f"{display.size_mm[0]}x{display.size_mm[1]}"


def wlr_randr_answer(width: int, height: int, mm: tuple[int, int] = (0, 0), transform: str = "normal",
                     name: str = "HDMI-A-1") -> str:
    """wlr-randr 0.4's --json answer for one output (as cage 0.2.0 on Debian 13 gives it)."""
    return json.dumps([{
        "name": name, "description": "x", "make": None, "model": None, "serial": None,
        "physical_size": {"width": mm[0], "height": mm[1]}, "enabled": True,
        "modes": [{"width": 1280, "height": 720, "refresh": 60.0, "preferred": True, "current": False},
                  {"width": width, "height": height, "refresh": 60.0, "preferred": False,
                   "current": True}],
        "position": {"x": 0, "y": 0}, "transform": transform, "scale": 1.0,
        "adaptive_sync": False}])
