"""How many terminal cells a touch target needs on the patron display, and the smallest grid the
patron screens are laid out for.

Patron text must stand a fixed height on the glass (one line = ``text_height_mm``, 12 mm by
Korean accessibility law), so the terminal's font is chosen for the display, and the grid the app
gets follows from the display's size and the patron's enlargement (1920x1080 gives 76x21 at
100 %, 39x10 at 200 %). A cell on the glass is then the display's size over the grid, and a
button must be at least 15 mm each way: one row of ~12.5 mm is too small, two rows are enough; at
200 % one row of ~25 mm is enough. Without the display's size (a developer's terminal) nothing is
known of the glass, and the buttons keep their three rows.

Plain arithmetic, apart from the app so that it is tested without a terminal; the app turns it
into CSS classes (:meth:`kiosk_app.app.KioskApp.fit_to`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TOUCH_MM = 15.0
"""The smallest touch target, each way."""
MIN_GRID = (22, 7)
"""Columns and rows every patron screen is laid out for (1080x1920 portrait at 200 % gives the
columns, 1280x800 at 200 % the rows, measured on the real stack)."""
UNKNOWN_ROWS = 3
"""A button's rows when the display's size is not known (the layout's own)."""


@dataclass(frozen=True, slots=True)
class Touch:
    """The cells a touch target needs: at least ``cols`` columns and ``rows`` rows."""

    cols: int
    rows: int


def cell_mm(grid: tuple[int, int], display_mm: tuple[float, float]) -> tuple[float, float]:
    """Width and height of one cell on the glass: the display's size over the grid."""
    cols, rows = grid
    if cols < 1 or rows < 1:
        raise ValueError(f"a grid has at least one cell each way, not {cols}x{rows}")
    return display_mm[0] / cols, display_mm[1] / rows


def touch_cells(grid: tuple[int, int], display_mm: tuple[float, float] | None) -> Touch:
    """How many columns and rows make :data:`TOUCH_MM` on this display at this grid; without the
    display's size, the layout's own buttons (:data:`UNKNOWN_ROWS` rows, any width)."""
    if display_mm is None:
        return Touch(cols=1, rows=UNKNOWN_ROWS)
    width, height = cell_mm(grid, display_mm)
    return Touch(cols=math.ceil(TOUCH_MM / width), rows=math.ceil(TOUCH_MM / height))

