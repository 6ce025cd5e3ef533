"""Every patron screen laid out in each grid the patron displays give (kiosk_testing.display_grids,
at 100 % and 200 %), with the display's size set as on a kiosk: no widget cut off (each lies in
the screen, or in a container that scrolls to it), every button at least the 15 mm a touch needs
on that display (kiosk_app.screen_fit), the buttons that end a visit or answer a dialog in view
without scrolling, and no "too small" notice. One app per grid goes through all the screens, in
both languages; the visit's state is set directly, as the snapshots do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static

from hardware.codes import CodeKind
from hardware.display import OutputScale
from kiosk_app.i18n import NO_BREAK, fmt_date
from kiosk_app.outcomes import BUSY, Offer, Refusal
from kiosk_app.screen_fit import Touch, cell_mm, touch_cells
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen, OfferScreen, StillHereScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.view_choice import ViewScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.session import BorrowLine, CancelLine, RenewLine, Returned, ReturnLine
from kiosk_data.codes import AVAILABLE, AVAILABLE_EN, AVAILABLE_KO, HOLD_READY_ISBN, KIM, ON_LOAN, OVERDUE
from kiosk_testing.display_grids import DISPLAY_GRIDS, size_setting
from sync_agent.wire.rest import Book

from .conftest import FIXED_NOW, settle
from .test_snapshots import DAY, patron

GRIDS = [pytest.param(display, grid, id=f"{display.name}-{percent}")
         for display in DISPLAY_GRIDS for percent, grid in (("100", display.grid), ("200", display.grid_200))]
NOT_OURS = ("ToastRack", "Toast", "Tooltip")
"""Textual's own overlays, which draw over whatever is there."""


def _scrolls(widget: Widget) -> tuple[bool, bool]:
    if isinstance(widget, Screen):  # the top bar must not scroll away: a screen's children fit it
        return False, False
    return (widget.styles.overflow_x in ("auto", "scroll"), widget.styles.overflow_y in ("auto", "scroll"))


def _shown(widget: Widget) -> bool:
    chain = [widget, *widget.ancestors_with_self]
    if any(type(node).__name__ in NOT_OURS for node in chain):
        return False
    return all(node.display for node in chain if isinstance(node, Widget))


def _within(inner: Region, outer: Region, x: bool = True, y: bool = True) -> bool:
    return ((not x or (outer.x <= inner.x and inner.right <= outer.right))
            and (not y or (outer.y <= inner.y and inner.bottom <= outer.bottom)))


def cut_widgets(screen: Screen[Any]) -> list[str]:
    """Each shown widget that its parent cuts: outside a parent that does not scroll, or outside
    the scrolled extent of one that does (and a scrolling area left no room at all)."""
    cut = []
    for widget in screen.query("*"):
        if not _shown(widget):
            continue
        parent = widget.parent
        assert isinstance(parent, Widget)
        region = widget.region
        scroll_x, scroll_y = _scrolls(parent)
        if not (scroll_x or scroll_y):
            fits = _within(region, parent.region)
        else:
            area = parent.scrollable_content_region
            virtual = Region(area.x - int(parent.scroll_x), area.y - int(parent.scroll_y),
                             max(parent.virtual_size.width, area.width), max(parent.virtual_size.height, area.height))
            fits = (_within(region, area, x=not scroll_x, y=not scroll_y) and _within(region, virtual)
                    and area.height > 0 and area.width > 0)
        if not fits:
            cut.append(f"{widget!r} at {region} in {parent!r} at {parent.region}")
    return cut


def small_buttons(screen: Screen[Any], touch: Touch) -> list[str]:
    return [f"{button!r}: {button.region.size}" for button in screen.query(Button)
            if _shown(button) and (button.region.height < touch.rows or button.region.width < touch.cols)]


def out_of_view(screen: Screen[Any], ids: tuple[str, ...]) -> list[str]:
    """The buttons among ``ids`` that a tap cannot reach without scrolling first: each must be
    on screen, inside the visible part of every container it is in, and what its middle shows."""
    hidden = []
    for button_id in ids:
        button = screen.query_one(f"#{button_id}", Button)
        region = button.region
        inside = _within(region, screen.region) and all(
            _within(region, ancestor.scrollable_content_region)
            for ancestor in button.ancestors if isinstance(ancestor, Widget) and not isinstance(ancestor, Screen)
            and any(_scrolls(ancestor)))
        middle = region.center
        tapped, _ = screen.get_widget_at(int(middle[0]), int(middle[1])) if inside else (None, None)
        if not (_shown(button) and inside and tapped is button):
            hidden.append(f"#{button_id} at {region}")
    return hidden


SMALLEST: dict[str, tuple[float, float]] = {}
"""Per grid, the narrowest and the lowest button seen, in mm (for the report in var/)."""


def smallest_button(screen: Screen[Any]) -> tuple[int, int]:
    sizes = [button.region.size for button in screen.query(Button) if _shown(button)]
    return min(size.width for size in sizes), min(size.height for size in sizes)


async def check(pilot: Any, kind: type[Screen[Any]], ids: tuple[str, ...], touch: Touch) -> None:
    await settle(pilot)
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, kind), screen
    where = f"{type(screen).__name__} at {app.size.width}x{app.size.height} in {app.lang}"
    assert not cut_widgets(screen), f"{where}: cut off:\n" + "\n".join(cut_widgets(screen))
    assert not small_buttons(screen, touch), f"{where}: under {touch}: {small_buttons(screen, touch)}"
    assert not out_of_view(screen, ids), f"{where}: not in view: {out_of_view(screen, ids)}"
    assert not list(app._notifications), f"{where}: {[n.message for n in app._notifications]}"
    if app.display_mm:
        width, height = smallest_button(screen)
        cell_w, cell_h = cell_mm((app.size.width, app.size.height), app.display_mm)
        key = f"{app.size.width}x{app.size.height}"
        seen = SMALLEST.get(key, (float("inf"), float("inf")))
        SMALLEST[key] = (min(seen[0], width * cell_w), min(seen[1], height * cell_h))


def a_long_visit(app: Any) -> None:
    """A member with a reservation ready, two loans (one overdue) with "renew" and "renew all",
    fines, this visit's loan, renewals, returns (late ones with fines) and a cancel: every kind
    of row and button."""
    session = app.session
    session.card, session.patron = KIM, patron()
    session.borrows.append(BorrowLine(AVAILABLE_EN, "아몬드", FIXED_NOW + 14 * DAY, queued=False))
    session.returns += [ReturnLine(f"300420000001{n}5", "불편한 편의점 두 번째 이야기", 3, 300, Returned.RETURNED)
                        for n in range(4)]
    session.renewals += [RenewLine(ON_LOAN, "The Pragmatic Programmer", True, FIXED_NOW + 21 * DAY),
                         RenewLine(OVERDUE, "소년이 온다", False, why="renew_no_overdue")]
    session.cancels.append(CancelLine(AVAILABLE_KO, "아몬드", 1000))


OFFER = Offer(Book(id=4, barcode=AVAILABLE, isbn="9780132350884", title="Clean Code",
                   author="Robert C. Martin", status="available", updated_at=FIXED_NOW), 1000)


@pytest.mark.parametrize(("display", "grid"), GRIDS)
async def test_every_patron_screen_fits_the_grid(offline_kiosk, tmp_path, display, grid):
    touch = touch_cells(grid, display.size_mm)
    assert touch.rows in (1, 2), "12 mm text: a row is 12.5 mm or more"
    app = offline_kiosk({"scale": OutputScale()}, display_size_mm=size_setting(display),  # never asked here
                        receipt_printer=tmp_path / "printer", smtp_host="127.0.0.1").app
    async with app.run_test(size=grid) as pilot:
        app.set_reactive(type(app).online, True)
        assert app.has_class(f"-touch-{touch.rows}")
        a_long_visit(app)
        await app.receipts.check_printer()
        for lang in ("ko", "en"):
            app.lang = lang
            await app.show_base(WelcomeScreen)
            await check(pilot, WelcomeScreen, ("lang", "view-icon" if "-narrow" in app.screen.classes else "view"),
                        touch)
            await app.push_screen(ViewScreen())
            await check(pilot, ViewScreen, ("enlarge", "contrast", "low", "view-close"), touch)
            await app.show_base(ReturnScreen)
            await check(pilot, ReturnScreen, ("lang", "done"), touch)
            await app.show_base(MemberScreen)
            await check(pilot, MemberScreen, ("lang", "done"), touch)
            assert app.screen.query("#renew-all") and app.screen.query("#cancel-1"), "renew and cancel shown"
            for refusal in (BUSY, Refusal.for_code("member_blocked")):
                await app.show_notice(refusal)
                await check(pilot, NoticeScreen, ("ok",), touch)
            await app.handle_scan(CodeKind.ISBN, HOLD_READY_ISBN)  # the notice with the drawing of a book's covers
            await check(pilot, NoticeScreen, ("ok",), touch)
            await app.show_base(MemberScreen)
            await app.push_screen(OfferScreen(OFFER))
            await check(pilot, OfferScreen, ("accept", "decline"), touch)
            await app.push_screen(StillHereScreen())
            await check(pilot, StillHereScreen, ("continue",), touch)
            await app.show_base(ReceiptScreen)
            await check(pilot, ReceiptScreen, ("lang", "print", "email", "finish"), touch)
            if grid == display.grid:  # a technician's visit ends first, and with it the 200 %
                await app.open_pin_pad()
                await check(pilot, type(app.screen), ("pin-cancel", "key-enter"), touch)
                await app.pop_screen()
    smallest = SMALLEST[f"{grid[0]}x{grid[1]}"]
    assert min(smallest) >= 15.0, smallest
    report = Path(__file__).resolve().parents[2] / "var" / "touch-targets.json"
    report.parent.mkdir(exist_ok=True)
    figures = json.loads(report.read_text()) if report.exists() else {}
    figures[f"{display.name} at {grid[0]}x{grid[1]}"] = [round(smallest[0], 1), round(smallest[1], 1)]
    report.write_text(json.dumps(figures, indent=1))


async def test_a_kiosk_display_below_the_smallest_grid_is_logged_once_never_told(offline_kiosk, caplog):
    """A patron can do nothing about the grid: no notice, one log line, the most compact layout."""
    app = offline_kiosk(display_size_mm="331x207").app
    async with app.run_test(size=(20, 7)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(21, 6)
        await settle(pilot)
        assert not list(app._notifications), [n.message for n in app._notifications]
        assert {"-narrow", "-very-short"} <= app.screen.classes
        assert app.has_class("-touch-1"), "29.6 mm rows: one is enough"
    logged = [r.getMessage() for r in caplog.records if "smaller than the 22x7" in r.getMessage()]
    assert logged == ["terminal 20x7 is smaller than the 22x7 the patron screens are laid out for: "
                      "the most compact layout is used"], logged


async def test_a_developer_terminal_keeps_its_three_row_buttons(offline_kiosk):
    app = offline_kiosk().app
    async with app.run_test(size=(53, 16)) as pilot:
        await settle(pilot)
        assert app.has_class("-touch-3") and not app.has_class("-touch-2")
        assert not list(app._notifications), "22x7 and more is no longer too small"
        assert app.screen.query_one("#lang", Button).region.height == 3


async def test_a_due_date_is_never_wrapped_apart_on_narrow_grids(offline_kiosk):
    """22 to 30 columns: the loans' and this visit's lines wrap, but each date stays on one line."""
    app = offline_kiosk(display_size_mm="268x476").app
    async with app.run_test(size=(22, 19)) as pilot:
        a_long_visit(app)
        for lang in ("ko", "en"):
            app.lang = lang
            await app.show_base(MemberScreen)
            dates = {fmt_date(moment, lang, app.tz) for moment in (FIXED_NOW + 7 * DAY, FIXED_NOW + 14 * DAY,
                                                                    FIXED_NOW - 5 * DAY, FIXED_NOW + 21 * DAY)}
            for width in range(22, 31):
                await pilot.resize_terminal(width, 19)
                await settle(pilot)
                seen = wrapped = 0
                for status in app.screen.query(".row-status").results(Static):
                    lines = [strip.text.replace(NO_BREAK, " ").strip()
                             for strip in status.render_lines(Region(0, 0, *status.size))]
                    text = str(status.visual.plain).replace(NO_BREAK, " ")
                    date = next((date for date in dates if date in text), None)
                    if date is not None:
                        seen += 1
                        wrapped += len([line for line in lines if line]) > 1
                        assert any(date in line for line in lines), (width, date, lines)
                assert seen >= 4, "the loans' due dates and this visit's loan and renewal"
                assert wrapped >= 1, "lines with a date that did wrap"


async def test_a_new_loan_comes_into_view_on_a_screen_that_scrolls_as_one(offline_kiosk):
    """27x7: the member's lists are one scrolling area; the patron scrolled to the end, then
    scans a book: its loan is shown where they look."""
    app = offline_kiosk(display_size_mm="331x207").app
    async with app.run_test(size=(27, 8)) as pilot:
        a_long_visit(app)
        await app.show_base(MemberScreen)
        await settle(pilot)
        body = app.screen.query_one("#member-body")
        body.scroll_end(animate=False, immediate=True)
        await settle(pilot)
        assert body.scroll_y > 0
        line = BorrowLine(AVAILABLE, "Clean Code", FIXED_NOW + 14 * DAY, queued=False)
        app.session.borrows.append(line)
        screen = app.screen
        assert isinstance(screen, MemberScreen)
        await screen.add_borrow(line)
        await settle(pilot)
        titles = {row: str(row.query_one(".row-title", Static).visual) for row in screen.query("#loans .row")}
        row = next(row for row, title in titles.items() if "Clean Code" in title)
        assert _within(row.region, body.scrollable_content_region), (row.region, body.scrollable_content_region)
