"""The touch target's cells from the display's size and the grid (kiosk_app.screen_fit)."""

import pytest

from kiosk_app.screen_fit import TOUCH_MM, Touch, cell_mm, touch_cells
from kiosk_testing.display_grids import DISPLAY_GRIDS


def test_a_cell_is_the_display_over_the_grid():
    width, height = cell_mm((76, 21), (476, 268))
    assert width == pytest.approx(6.263, abs=0.001) and height == pytest.approx(12.762, abs=0.001)


@pytest.mark.parametrize("display", DISPLAY_GRIDS, ids=lambda display: display.name)
def test_at_100_percent_two_rows_at_200_percent_one(display):
    """12 mm text makes a row of 12.5-13 mm: one row is under 15 mm, two are over; at 200 % a row
    is about 25 mm."""
    assert touch_cells(display.grid, display.size_mm) == Touch(cols=3, rows=2)
    assert touch_cells(display.grid_200, display.size_mm) == Touch(cols=2, rows=1)


def test_exactly_15_mm_is_enough_and_a_hair_less_is_not():
    assert touch_cells((10, 10), (10 * TOUCH_MM, 10 * TOUCH_MM)) == Touch(cols=1, rows=1)
    assert touch_cells((10, 10), (10 * 14.9, 10 * 7.4)) == Touch(cols=2, rows=3)


def test_without_the_display_size_buttons_keep_their_three_rows():
    assert touch_cells((100, 32), None) == Touch(cols=1, rows=3)


def test_an_empty_grid_is_refused():
    with pytest.raises(ValueError, match="at least one cell"):
        cell_mm((0, 8), (476, 268))
