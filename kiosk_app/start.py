"""``kiosk run``'s start-up: the welcome screen first, the core after it.

A kiosk restarted by systemd (a crash, the watchdog, an update) should show its screen about as
soon as a bare Textual app would. The app's shell, :class:`~kiosk_app.app.KioskApp` drawn from the
few keys of :mod:`kiosk_app.first_paint`, imports none of the settings model (pydantic), the
store, the central adapter (httpx) or the receipts; it is started at once. Only once its first
frame is drawn are the settings loaded and validated, the store opened, the central adapter
opened, and the core built by the composition root and attached
(:func:`kiosk_app.composition.build_core`, :meth:`KioskApp.attach
<kiosk_app.app.KioskApp.attach>`). The core's modules are imported in a thread, so the event loop
keeps turning meanwhile: the watchdog is fed, a SIGTERM is heard, the screen answers touches.
A scan or a touch that reaches the app before the core waits in the app's queue and is served,
in order, once it is attached. The serial devices themselves come with the core (their ports are
settings), so they open at :meth:`~kiosk_app.app.KioskApp.attach`, about as soon after the start
as they did before the app painted first.

What goes wrong at start still ends as before, only after the first frame: a bad configuration
closes the app and exits 2 with ``kiosk: ...`` naming the key; a store that cannot be opened
replaces the kiosk with the out-of-service screen (:mod:`kiosk_app.out_of_service`) until it
opens, then the kiosk is drawn anew with its core.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hardware.display import output_scale
from kiosk_app import watchdog
from kiosk_app.app import KioskApp

if TYPE_CHECKING:
    from kiosk_app.first_paint import FirstPaint
    from kiosk_app.logbook import RecentLines
    from kiosk_app.shutdown import ExitGuard
    from sync_agent.store.database import Store

log = logging.getLogger(__name__)

Running = tuple[KioskApp, "asyncio.Task[object]"]


async def serve(config: Path | None, paint: FirstPaint, recent: RecentLines, guard: ExitGuard) -> int:
    """Run the kiosk until it exits; the exit status of ``kiosk run``. Under systemd the event
    loop feeds the watchdog from the start, the out-of-service screen's included."""
    feeding = watchdog.start()
    try:
        return await _serve(config, paint, recent, guard)
    finally:
        feeding.cancel()


class StoreOnExit:
    """The store the exit's clean-up closes, waited for while it is being opened. The shell runs
    while the store opens in a thread, so a SIGTERM then ends the app at once and the clean-ups
    (:class:`~kiosk_app.shutdown.ExitGuard`, within its budget) come before the event loop could
    hand the store over: they wait for the open to end instead of leaving the file unclosed."""

    def __init__(self) -> None:
        self._stores: list[Store] = []
        self._settled = threading.Event()

    def open(self, opening: Callable[[], Store]) -> Store:
        """``opening()`` (in the opening thread), its store kept for the clean-up."""
        try:
            store = opening()
            self._stores.append(store)
            return store
        finally:
            self._settled.set()

    def keep(self, store: Store) -> None:
        """A store opened elsewhere (the out-of-service screen's retry)."""
        self._stores.append(store)

    def close(self) -> None:
        self._settled.wait()
        for store in self._stores:
            store.close()


def _shell(paint: FirstPaint, recent: RecentLines, guard: ExitGuard) -> Running:
    app = KioskApp(paint, log_lines=recent, scale=output_scale())
    return app, asyncio.create_task(guard.run_app(app, app.exit_kiosk), name="kiosk-app")


async def _serve(config: Path | None, paint: FirstPaint, recent: RecentLines, guard: ExitGuard) -> int:
    app, running = _shell(paint, recent, guard)
    painted = asyncio.create_task(app.painted.wait())
    await asyncio.wait({painted, running}, return_when=asyncio.FIRST_COMPLETED)
    painted.cancel()
    if running.done():  # ended before its first frame (a stop, or it failed): as it would have after
        await running
        return 0
    log.info("welcome screen drawn; loading the core")
    # the core's modules (pydantic, httpx, sqlite3, the receipts), off the event loop
    await asyncio.to_thread(importlib.import_module, "kiosk_app.composition")
    from kiosk_app.card_lookup import card_secret
    from kiosk_app.composition import build_core
    from kiosk_app.out_of_service import OutOfServiceApp
    from sync_agent.central.adapters import open_central
    from sync_agent.settings import ConfigError, load_settings
    from sync_agent.store.database import Store, StoreError

    try:
        settings = await asyncio.to_thread(load_settings, config)
    except ConfigError as exc:
        log.error("%s", exc)  # the log is up already (the journal, under systemd)
        app.exit()
        await running
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    on_exit = StoreOnExit()
    guard.cleanup("store", on_exit.close)
    try:
        store = await asyncio.to_thread(on_exit.open, lambda: Store.open(settings.db_path))
    except StoreError as exc:
        print(f"kiosk: cannot open the store {settings.db_path}: {exc}", file=sys.stderr)
        app.exit()
        await running
        notice = OutOfServiceApp(settings.db_path, exc)
        reopened = await guard.run_app(notice, lambda: notice.exit(None))
        if reopened is None:
            return 1
        store = reopened
        on_exit.keep(store)
        app, running = _shell(paint, recent, guard)
    try:
        # SIP2 member ids are keyed hashes under the card-lookup key: stable across restarts
        async with open_central(settings, owner="app", member_key=card_secret(settings)) as client:
            if not running.done():
                app.attach(build_core(app, settings, store, client))
                log.info("core attached")
            await running
    finally:
        store.close()
    return 0
