"""``kiosk demo``: the whole kiosk in one terminal, with a side panel to tell its story.

The stand-in and the sync agent run as subprocesses (:mod:`kiosk_demo.stack`), the app in the
foreground on a virtual scanner: a tap on a card or label in the panel writes the code into the
scanner's pty, so it travels the same serial path as a real scan. The panel's switches set the
story's faults, and a live line shows the outbox filling and draining.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import AnyHttpUrl, SecretStr
from textual.screen import Screen

import kiosk_data
from backend_stub.readiness import free_port
from hardware.sim import VirtualScanner
from kiosk_app import logbook, watchdog
from kiosk_app.app import KioskApp
from kiosk_app.card_lookup import card_secret
from kiosk_app.composition import build_kiosk
from kiosk_app.logbook import RecentLines
from kiosk_app.session import technician_card
from kiosk_app.shutdown import ExitGuard
from kiosk_app.techpin import hash_pin, verify_pin
from kiosk_demo.descriptions import Library, ask_library, describe
from kiosk_demo.panel import DemoPanel, QuitDemo
from kiosk_demo.stack import DemoStack, Faults
from sync_agent.central.adapters import open_central
from sync_agent.central.port import Central
from sync_agent.settings import ConfigError, Settings, load_settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Status

log = logging.getLogger(__name__)

DATA_DIR = kiosk_data.DATA_DIR
DEMO_PIN = "246810"
OUTBOX_EVERY_S = 0.5
DESCRIBE_OUTBOX_ENTRIES = 100
"""How far back the descriptions look for returns not yet sent (a demo makes a few dozen)."""


@dataclass(frozen=True)
class Code:
    """One thing to scan by tap: its code, its name, what it shows."""

    code: str
    name: str
    shows: str


def demo_codes(data_dir: Path = DATA_DIR, institution: str = "0042") -> tuple[list[Code], list[Code]]:
    """The member cards and item labels of the demo library (``data/*.json``), plus the
    technician card and an ISBN from a back cover."""
    members = json.loads((data_dir / "members.json").read_text(encoding="utf-8"))
    items = json.loads((data_dir / "items.json").read_text(encoding="utf-8"))
    cards = [Code(m["cardNumber"], m["name"], m.get("note", m["status"])) for m in members]
    cards.append(Code(technician_card(institution), "technician card", f"diagnostics, PIN {DEMO_PIN}"))
    labels = [Code(i["barcode"], i["title"], i.get("note", i["status"])) for i in items]
    labels.append(Code(items[2]["isbn"], f"ISBN of {items[2]['title']}",
                       "the back cover, not the label: the kiosk shows where the label is"))
    return cards, labels


class DemoApp(KioskApp):
    """The kiosk app with the demo panel beside every screen."""

    MIN_SIZE = (140, 40)  # the patron screens and the 40-column panel beside them

    def __init__(self, *args: Any, stack: DemoStack, scanner: VirtualScanner,
                 codes: tuple[list[Code], list[Code]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stack = stack
        self.scanner = scanner
        self.codes = codes
        self.outbox_line = "outbox: …"
        self.note = ""
        self.wanted_faults = stack.faults
        self._applying = False
        self.descriptions: dict[str, str] = {}
        self._library = Library()
        self._described_at: tuple[object, ...] | None = None
        """The outbox counts the descriptions were made at: they are made again when these change
        (a return, a borrow, a cancel all pass through the outbox), after a scan and a switch."""

    @property
    def faults(self) -> Faults:
        """What the stand-in has been made to do (the switches show what was last asked)."""
        return self.stack.faults

    def on_mount(self) -> None:  # type: ignore[override]  # Textual calls each class's on_mount, sync or async
        # Textual runs this before KioskApp.on_mount (handlers run down the MRO), so the panel
        # is there from the first screen on. The demo's core is attached before it starts.
        hashed = self.settings.tech_pin_hash
        pin = DEMO_PIN if hashed and verify_pin(DEMO_PIN, hashed.get_secret_value()) else "as configured"
        self.technician_hint = f"technician: 5 taps on ▤▤ or the\ntechnician card · PIN {pin}"
        self.screen_change_signal.subscribe(self, self._add_panel)
        self.set_interval(OUTBOX_EVERY_S, self.count_outbox)

    def _add_panel(self, screen: Screen[object]) -> None:
        if not isinstance(screen, QuitDemo) and not screen.query(DemoPanel):
            screen.mount(DemoPanel())

    def scan(self, code: str) -> None:
        """Through the virtual scanner's pty, like a real scan."""
        self.scanner.scan(code)
        self._described_at = None          # what the scan changed shows at the next count

    def ask_to_quit(self) -> None:
        def answered(quit_demo: bool | None) -> None:
            if quit_demo:
                self.exit_kiosk()
        self.push_screen(QuitDemo(), answered)

    # -- faults: applied one at a time, the last press wins ------------------------------------

    def switch_fault(self, name: str, on: bool) -> None:
        """Ask for a switch's new state. Starting and stopping the stand-in takes seconds, and two
        at once fight over its port; so one worker applies, and presses made meanwhile only
        change what it applies next."""
        self.wanted_faults = replace(self.wanted_faults, **{name: on})
        if self.wanted_faults == self.stack.faults and not self._applying:
            return
        self.note = "applying…"
        self._show_panels()
        if not self._applying:
            self._applying = True
            self.run_worker(self._apply_wanted(), group="demo-faults")

    async def _apply_wanted(self) -> None:
        try:
            while (wanted := self.wanted_faults) != self.stack.faults:
                await asyncio.to_thread(self.stack.set_faults, wanted)
            self.note = ""
        except Exception as exc:  # noqa: BLE001 - a stand-in that will not start must not end the demo
            log.warning("demo: faults not applied: %s", exc)
            self.note = f"not applied: {exc}"
            self.wanted_faults = self.stack.faults
        finally:
            self._applying = False
            self._described_at = None
        self._show_panels()
        self.check_health()

    # -- the live lines: the outbox and the descriptions ----------------------------------------

    def count_outbox(self) -> None:
        self.run_worker(self._count_outbox(), group="demo-outbox", exclusive=True)

    async def _count_outbox(self) -> None:
        counts = await asyncio.to_thread(self.lending.outbox.counts)
        mail = len(self.stack.mailbox.messages)
        self.outbox_line = (f"outbox: {counts['pending']} pending · {counts['in_flight']} in flight\n"
                            f"        {counts['delivered']} delivered · {counts['dead']} dead\n"
                            f"mail received: {mail}" + (f" (mail/{mail:03d}.eml)" if mail else ""))
        seen = tuple(counts[status] for status in Status)
        if self._described_at != seen and not self._applying:
            self.descriptions = await asyncio.to_thread(self._describe)
            self._described_at = seen
        self._show_panels()

    def _describe(self) -> dict[str, str]:
        """The descriptions as the stand-in and the outbox now have it; where the stand-in
        cannot answer (stopped, a service down), what was known before with the outbox laid over
        it."""
        technician = technician_card(self.settings.institution)
        members = [card.code for card in self.codes[0] if card.code != technician]
        if self.settings.central == "rest":  # a fake ACS speaks SIP2 on that port, not HTTP
            try:
                self._library = ask_library(self.stack.url, members)
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:  # down, or an odd answer
                log.debug("demo: descriptions from what was known: %s", exc)
        recent = self.lending.outbox.recent(DESCRIBE_OUTBOX_ENTRIES)
        return describe(self._library, recent, datetime.now(UTC))

    def _show_panels(self) -> None:
        for screen in self.screen_stack:
            for panel in screen.query(DemoPanel):
                panel.show()


# -- the command ---------------------------------------------------------------------------------


def demo_folder(chosen: Path | None) -> Path:
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        return chosen
    try:
        folder = Path("var") / f"demo-{datetime.now():%Y%m%d-%H%M%S}"
        folder.mkdir(parents=True, exist_ok=False)
        return folder.resolve()
    except OSError:
        return Path(tempfile.mkdtemp(prefix="kiosk-demo-"))


def demo_settings(config: Path | None, folder: Path, port: int, scanner_port: str,
                  central: str = "rest") -> Settings:
    """Embedded defaults (or ``--config``), pointed at the demo's folder, central side on ``port``
    of 127.0.0.1 (the REST stand-in, or with ``central="sip2"`` the fake ACS) and scanner."""
    base = load_settings(config) if config is not None else Settings()
    api_url = f"http://127.0.0.1:{port}"
    receipts = {"receipt_printer": folder / "receipts.escpos", "smtp_host": "127.0.0.1",
                "smtp_port": free_port(), "smtp_tls": "off"}
    sip2 = {"central": central, "sip2_host": "127.0.0.1", "sip2_port": port,
            "sip2_user": "kiosk", "sip2_password": SecretStr("secret"), "sip2_institution": "0042",
            "sip2_location": base.id} if central == "sip2" else {"central": central}
    return base.model_copy(update={**sip2, **receipts,
        "data_dir": folder / "kiosk", "api_url": AnyHttpUrl(api_url), "scanner_port": scanner_port,
        "card_reader_port": None, "breaker_reset_s": min(base.breaker_reset_s, 5.0),
        "tech_pin_hash": base.tech_pin_hash or SecretStr(hash_pin(DEMO_PIN)),
    })


@contextmanager
def demo_parts(config: Path | None, folder: Path, guard: ExitGuard | None = None,
               central: str = "rest") -> Iterator[tuple[Settings, DemoStack, VirtualScanner, Store]]:
    """The scanner, the stand-in and the agent running, and the app's store open; all stopped
    and closed on the way out (agent and stand-in terminated and waited for). With a ``guard``,
    a stop (signal, lost terminal) closes the store, stops the stand-in and the agent and removes
    the simulated scanner too, from the moment each exists."""
    port = free_port()
    with VirtualScanner() as scanner:
        settings = demo_settings(config, folder, port, scanner.path, central)
        stack = DemoStack(folder, settings, port)
        if guard is not None:
            guard.cleanup("stand-in and agent", stack.terminate)
            guard.cleanup("simulated scanner", scanner.close)  # its link and folder
        try:
            stack.start()
            store = Store.open(settings.db_path)
            if guard is not None:
                guard.cleanup("store", store.close)
            try:
                yield settings, stack, scanner, store
            finally:
                store.close()
        finally:
            stack.close()


def demo_app(settings: Settings, store: Store, client: Central, stack: DemoStack,
             scanner: VirtualScanner, recent: RecentLines | None = None, **options: Any) -> DemoApp:
    return build_kiosk(settings, store, client, app_class=DemoApp, log_lines=recent, stack=stack,
                       scanner=scanner, codes=demo_codes(institution=settings.institution), **options)


def run(config: Path | None, args: argparse.Namespace) -> int:
    """Start everything, run the app until "quit demo" (or the technician's exit), stop it all."""
    folder = demo_folder(args.dir)
    recent = logbook.install(folder / "kiosk")
    print(f"kiosk demo: starting in {folder} …", flush=True)
    try:
        with ExitGuard() as guard, demo_parts(config, folder, guard, args.central) as (
                settings, stack, scanner, store):
            asyncio.run(_serve(settings, store, stack, scanner, recent, guard))
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"kiosk demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:          # Ctrl+C while starting, before the app owns the keys
        print("kiosk demo: interrupted; stopped", file=sys.stderr)
        return 130
    print(f"kiosk demo: stopped; databases and logs are in {folder}")
    return 0


async def _serve(settings: Settings, store: Store, stack: DemoStack, scanner: VirtualScanner,
                 recent: RecentLines, guard: ExitGuard) -> None:
    feeding = watchdog.start()  # as `kiosk run` does (nothing is sent outside systemd)
    try:
        async with open_central(settings, owner="app", member_key=card_secret(settings)) as client:
            app = demo_app(settings, store, client, stack, scanner, recent)
            # SIGTERM, SIGHUP, a closed terminal: the guard ends app, agent and stand-in in seconds
            await guard.run_app(app, app.exit_kiosk)
    finally:
        feeding.cancel()
