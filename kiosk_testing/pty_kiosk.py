"""Shared set-up of the app benchmarks: a kiosk app on a fresh store, its central API down (a port
nothing listens on), the demo catalog loaded as the agent would have, and a virtual scanner pty."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stdnum import luhn

import kiosk_data
from hardware.sim import VirtualScanner
from kiosk_app.app import KioskApp
from kiosk_app.composition import build_kiosk
from kiosk_testing.waiting import wait_until_async
from sync_agent.central.adapters import make_central
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.wire.rest import Book

TIMED_LOOK_S = 0.0002
"""Between looks of a wait that is timed: a fifth of a millisecond, so the figure is the app's."""

DATA = kiosk_data.DATA_DIR
DEAD_API = "http://127.0.0.1:9"


def item_codes(count: int, start: int = 500_000) -> list[str]:
    """Distinct valid item labels (the driver merges a repeat of the same code within 1.5 s)."""
    bodies = [f"30042{n:08d}" for n in range(start, start + count)]
    return [body + luhn.calc_check_digit(body) for body in bodies]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load_catalog(store: Store, settings: Settings) -> None:
    from sync_agent.store.outbox import Outbox
    from sync_agent.store.read_model import ReadModel
    now = datetime.now(UTC)
    books = [Book(id=row["id"], barcode=row["barcode"], isbn=row["isbn"], title=row["title"],
                  author=row["author"], status=row["status"], updated_at=now)
             for row in json.loads((DATA / "items.json").read_text(encoding="utf-8"))]
    ReadModel(store, Outbox(store, settings.id)).upsert_books(books, now)


@asynccontextmanager
async def kiosk_on_pty(api_url: str = DEAD_API,
                       **overrides: Any) -> AsyncIterator[tuple[KioskApp, VirtualScanner, object]]:
    """The app running headless at 100x32 with its scanner on a pty; yields (app, scanner, pilot).
    By default its central API is down (a port nothing listens on) and it knows it is offline;
    ``central="sip2"`` with the sip2_* settings in ``overrides`` puts it online against an ACS."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    with VirtualScanner() as scanner:
        settings = Settings(id="bench-01", data_dir=folder, api_url=api_url, scanner_port=scanner.path,
                            lang="en", **overrides)
        store = Store.open(settings.db_path)
        load_catalog(store, settings)
        client = make_central(settings, owner="app")
        app: KioskApp = build_kiosk(settings, store, client, tick_s=None, health_every_s=None)
        try:
            async with app.run_test(size=(100, 32)) as pilot:
                app.online = api_url != DEAD_API or settings.central == "sip2"
                await wait_until_async(lambda: all(d.status.state == "connected" for d in app.devices.devices))
                yield app, scanner, pilot
                # the patron's last jobs finish before the app closes: one still drawing a screen
                # while Textual takes the screens down fails the test in teardown
                await asyncio.wait_for(app.drain(), 30)
        finally:
            await client.aclose()
            store.close()


PATRON_PAUSE_S = 0.3
"""Between the card and the book a patron takes a second or more; the app has long finished
drawing the member screen by then, so that drawing is not counted as the borrow's."""


async def timed_borrow(app: KioskApp, scanner: VirtualScanner, card: str, code: str) -> float:
    """One visit: the card (not timed), a patron's pause, then the copy's bytes → its loan row
    drawn (ms); the visit is ended before returning."""
    from kiosk_app.screens.member import MemberScreen
    scanner.scan(card)
    await wait_until_async(lambda: isinstance(app.screen, MemberScreen), timeout_s=30)
    await asyncio.sleep(PATRON_PAUSE_S)
    visit = app.screen.get_widget_by_id("visit")  # the look walks the visit's column, not the whole page
    started = time.perf_counter()
    scanner.scan(code)
    await wait_until_async(lambda: len(visit.query(".row.borrowed")) == 1, 30, every_s=TIMED_LOOK_S)
    took = (time.perf_counter() - started) * 1000
    app.end_session()
    await wait_until_async(lambda: app.session.card is None and not isinstance(app.screen, MemberScreen), timeout_s=30)
    return took


async def timed_return(app: KioskApp, scanner: VirtualScanner, code: str) -> float:
    """The copy's bytes → its row on top of the return list (ms), then a moment for the repaint,
    as a patron is not a machine gun."""
    from kiosk_app.screens.returns import ReturnRow

    def top_row() -> str | None:
        rows = app.screen.query(ReturnRow)
        return rows.first().line.barcode if rows else None

    started = time.perf_counter()
    scanner.scan(code)
    await wait_until_async(lambda: top_row() == code, 30, every_s=TIMED_LOOK_S)
    took = (time.perf_counter() - started) * 1000
    await asyncio.sleep(0.005)
    return took


def pid_note() -> str:
    return f"pid {os.getpid()}, {os.cpu_count()} CPUs"
