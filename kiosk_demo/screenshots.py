"""SVG screenshots of the kiosk for the README: ``python -m kiosk_demo.screenshots [FOLDER]``
(``make screenshots``; default ``docs/screenshots``).

Taken from a real run of the demo stack: the stand-in with the demo library, the agent, scans
through the virtual scanner's pty. The data is always the demo library; dates on the screens
(due dates, the visit number) follow the day the pictures are taken.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from hardware.escpos_sim import decode, stacked
from kiosk_app.app import KioskApp
from kiosk_app.composition import build_kiosk
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.technician import TechScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import AT_LIMIT_OTHER_LOAN, AVAILABLE, HOLD_READY, KIM, ON_LOAN, OVERDUE
from kiosk_demo.demo import OUTBOX_EVERY_S, demo_app, demo_parts
from kiosk_demo.stack import DemoStack, Faults
from sync_agent.central.rest.client import CentralClient
from sync_agent.settings import Settings
from sync_agent.store.database import Store

PATRON_SIZE = (100, 32)
DEMO_SIZE = (140, 40)
WAIT_S = 20.0


async def until(pilot: Pilot[Any], done: Callable[[], bool]) -> None:
    """Let the app run until ``done()`` (scans arrive through the pty on their own time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not done():
        if loop.time() > deadline:
            raise RuntimeError(f"screenshots: the kiosk did not get there in {WAIT_S:.0f} s")
        await pilot.pause(0.05)


async def settled(pilot: Pilot[Any], screen: type) -> None:
    app = pilot.app
    assert isinstance(app, KioskApp)
    await until(pilot, lambda: isinstance(app.screen, screen) and not app.working)
    await app.drain()
    await pilot.pause(0.3)


def delivered(counts: dict[str, Any]) -> bool:
    return counts["pending"] == 0 and counts["in_flight"] == 0


def save(app: App[Any], folder: Path, name: str) -> None:
    app.save_screenshot(f"{name}.svg", str(folder))
    print(f"  {folder / name}.svg")


async def patron_screens(settings: Settings, store: Store, client: CentralClient, stack: DemoStack,
                         scan: Callable[[str], None], folder: Path) -> None:
    app: KioskApp = build_kiosk(settings, store, client)
    async with app.run_test(size=PATRON_SIZE) as pilot:
        await until(pilot, lambda: app.online)
        await settled(pilot, WelcomeScreen)
        save(app, folder, "welcome")
        app.toggle_lang()
        await settled(pilot, WelcomeScreen)
        save(app, folder, "welcome-en")

        app.end_session()
        await settled(pilot, WelcomeScreen)
        scan(KIM)
        await settled(pilot, MemberScreen)
        save(app, folder, "member")

        await asyncio.to_thread(stack.set_faults, Faults(book_down=True))
        scan(HOLD_READY)
        await settled(pilot, NoticeScreen)
        save(app, folder, "busy")
        await asyncio.to_thread(stack.set_faults, Faults())

        app.end_session()
        await settled(pilot, WelcomeScreen)
        scan(OVERDUE)
        await settled(pilot, ReturnScreen)
        scan(ON_LOAN)
        await until(pilot, lambda: len(app.session.returns) == 2)
        await settled(pilot, ReturnScreen)
        save(app, folder, "return")

        app.end_session()
        await settled(pilot, WelcomeScreen)
        await app.push_screen(TechScreen())
        scan(AVAILABLE)
        await until(pilot, lambda: bool(app.screen.test_scans))  # type: ignore[attr-defined]  # the TechScreen
        await settled(pilot, TechScreen)
        save(app, folder, "technician")
        app.exit_kiosk()


async def receipt_pictures(settings: Settings, store: Store, client: CentralClient, stack: DemoStack,
                           scan: Callable[[str], None], folder: Path) -> None:
    """The receipt screen, the receipt as the printer got it (its raster decoded back into a
    picture) and as the mail server got it."""
    app: KioskApp = build_kiosk(settings, store, client)
    async with app.run_test(size=PATRON_SIZE) as pilot:
        await until(pilot, lambda: app.online)
        # a scan written before this app's reader has the port open would be lost
        await until(pilot, lambda: app.devices.devices[0].status.state == "connected")
        scan(KIM)
        await settled(pilot, MemberScreen)
        scan(HOLD_READY)
        await until(pilot, lambda: bool(app.session.borrows))
        await pilot.click("#done")
        await settled(pilot, ReceiptScreen)
        save(app, folder, "receipt")
        await pilot.click("#print")
        await until(pilot, lambda: app.receipts.given)
        assert settings.receipt_printer is not None
        printed = decode(settings.receipt_printer.read_bytes())
        stacked(printed.pictures).save(folder / "receipt-printed.png")
        print(f"  {folder / 'receipt-printed.png'} (barcode {printed.barcodes}, {printed.cuts} cut)")
        await app.receipts.email(app.session, app.screen.receipt, app.lang)  # type: ignore[attr-defined]  # ReceiptScreen
        assert await asyncio.to_thread(stack.mailbox.wait_for, 1, WAIT_S)
        mail = stack.mailbox.messages[0]
        head = "".join(f"{name}: {mail[name]}\n" for name in ("From", "To", "Subject"))
        body = mail.get_body(("plain",))
        assert body is not None  # the receipt mail has a plain text part
        (folder / "receipt-email.txt").write_text(head + "\n" + body.get_content())
        print(f"  {folder / 'receipt-email.txt'}")
        app.exit_kiosk()


async def demo_screen(settings: Settings, store: Store, client: CentralClient, stack: DemoStack,
                      scanner: Any, folder: Path) -> None:
    app = demo_app(settings, store, client, stack, scanner)
    async with app.run_test(size=DEMO_SIZE) as pilot:
        await until(pilot, lambda: app.online)
        await pilot.click("#demo-book_down")
        await until(pilot, lambda: stack.faults.book_down and app.note == "")
        scanner.scan(AT_LIMIT_OTHER_LOAN)      # Dune, on loan to member 5
        await until(pilot, lambda: len(app.session.returns) == 1)
        await until(pilot, lambda: delivered(app.lending.outbox.counts()))
        await settled(pilot, ReturnScreen)
        await pilot.pause(2 * OUTBOX_EVERY_S)       # the panel's outbox line counts again
        save(app, folder, "demo")
        app.exit_kiosk()


async def take(folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kiosk-screenshots-") as scratch:
        with demo_parts(None, Path(scratch)) as (settings, stack, scanner, store):
            async with CentralClient(settings, owner="app") as client:
                await patron_screens(settings, store, client, stack, scanner.scan, folder)
                await receipt_pictures(settings, store, client, stack, scanner.scan, folder)
                await demo_screen(settings, store, client, stack, scanner, folder)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "docs/screenshots").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots into {folder}:")
    asyncio.run(take(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
