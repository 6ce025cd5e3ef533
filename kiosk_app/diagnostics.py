"""What the technician screen shows, gathered off the event loop: devices, outbox and dead
letters, breakers, central health per service, last sync, disk, version, configuration (secrets
hidden) and recent log lines. Card numbers are masked wherever they could appear."""

from __future__ import annotations

import asyncio
import importlib.metadata
import shutil
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from hardware.status import DeviceStatus
from kiosk_app.lending import Lending
from sync_agent.central.results import Busy, BusyReason, Ok
from sync_agent.logs import mask_card
from sync_agent.settings import SECRET_KEYS, Settings
from sync_agent.store.outbox import OutboxEntry
from sync_agent.store.status import snapshot
from sync_agent.wire.rest import SERVICES

PACKAGE = "library-kiosk"


def config_summary(settings: Settings) -> list[tuple[str, str]]:
    """Every setting as ``key, value``; secrets only say whether they are set."""
    return [(key, _shown(key, value)) for key, value in settings.model_dump().items()]


def _shown(key: str, value: object) -> str:
    if key in SECRET_KEYS:
        secret = value.get_secret_value() if isinstance(value, SecretStr) else value
        return "(set)" if secret else "(unset)"
    return str(value)


def version() -> str:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class DiskSpace:
    free_bytes: int
    total_bytes: int

    @property
    def free_ratio(self) -> float:
        return self.free_bytes / self.total_bytes if self.total_bytes else 0.0


@dataclass(frozen=True)
class Report:
    devices: list[DeviceStatus]
    status: dict[str, Any]
    dead: list[OutboxEntry]
    health: dict[str, str]
    app_breakers: dict[str, str]
    disk: DiskSpace | None
    version: str
    config: list[tuple[str, str]]
    log_lines: list[str]


async def gather(lending: Lending, devices: list[DeviceStatus], log_lines: list[str]) -> Report:
    """One picture for the technician; each SQLite read runs in a thread."""
    status = await asyncio.to_thread(snapshot, lending.store)
    dead = await asyncio.to_thread(lending.outbox.dead_letters)
    answer = await lending.client.health()
    if isinstance(answer, Ok):
        health = {name: answer.value.services.get(name, "?") for name in SERVICES}
    elif isinstance(answer, Busy) and answer.reason is BusyReason.LOGIN_REFUSED:
        health = dict.fromkeys(SERVICES, "login refused")  # seen here before the agent records it
    else:
        health = dict.fromkeys(SERVICES, "unreachable")
    disk = await asyncio.to_thread(_disk, lending.settings)
    return Report(devices=devices, status=status, dead=dead, health={k: str(v) for k, v in health.items()},
                  app_breakers=lending.client.breakers.states(), disk=disk, version=version(),
                  config=config_summary(lending.settings), log_lines=[mask_card(line) for line in log_lines])


def _disk(settings: Settings) -> DiskSpace | None:
    try:
        usage = shutil.disk_usage(settings.data_dir)
    except OSError:
        return None
    return DiskSpace(usage.free, usage.total)


def describe_entry(entry: OutboxEntry, kind: str) -> str:
    """One dead letter in a line: id, ``kind`` (the entry's kind in the screen's language), book,
    reason (masked)."""
    return mask_card(f"#{entry.id} {kind} {entry.barcode or '-'}: {entry.last_error or '?'}")
