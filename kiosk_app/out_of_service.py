"""The screen a kiosk shows when its store cannot be opened at start (damaged file, full disk,
unwritable folder): the patron is told, in both languages, that the kiosk takes nothing and why,
instead of a blank terminal that systemd restarts every few seconds. It tries the store again
every ``RETRY_S`` and hands it over as soon as it opens, so a technician's fix needs no restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from kiosk_app.i18n import t
from kiosk_app.notices import SAVE_FAILED, STORE_OUT_OF_ORDER
from sync_agent.store.database import Store, StoreError

RETRY_S = 10.0


class OutOfServiceApp(App[Store | None]):
    """Korean and English side by side (no toggle needed); exits with the store once it opens."""

    CSS = """
    Screen { align: center middle; }
    #out { width: 80%; height: auto; border: heavy $warning; padding: 1 2; }
    .why { color: $warning; text-style: bold; }
    .reason { color: $text-muted; margin-top: 1; }
    """
    TITLE = "kiosk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "stay", show=False, priority=True),
        Binding("ctrl+c", "stay", show=False, priority=True),
    ]

    def __init__(self, db_path: Path, error: StoreError, *, retry_s: float = RETRY_S) -> None:
        super().__init__()
        self.db_path = db_path
        self.error = error
        self.retry_s = retry_s

    def compose(self) -> ComposeResult:
        refusal = STORE_OUT_OF_ORDER.get(self.error.reason, SAVE_FAILED)
        with Vertical(id="out"):
            for lang in ("ko", "en"):
                yield Static(t(lang, "out_of_service"), classes="why")
                yield Static(t(lang, refusal.why))
                yield Static(t(lang, "next_out_of_service"))
            yield Static(f"{self.db_path}: {self.error.reason}", classes="reason")

    def on_mount(self) -> None:
        self.set_interval(self.retry_s, self.try_again)

    def action_stay(self) -> None:
        """Ctrl+C / Ctrl+Q: nobody leaves the kiosk from the patron's side."""

    async def try_again(self) -> None:
        try:
            store = await asyncio.to_thread(Store.open, self.db_path)
        except StoreError as exc:
            self.error = exc
            return
        self.exit(store)
