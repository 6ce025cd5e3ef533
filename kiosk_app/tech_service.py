"""What the technician does to the kiosk, in one place.

The technician screen posts what the technician asked for (:mod:`kiosk_app.messages`:
``SyncNow``, ``RetryDeadLetter``, ``ResolveDeadLetter``, ``ResetBreaker``, ``CheckStore``,
``AcknowledgeCall``); the app carries each out here and hands the outcome back down. So the screen
never reaches through the use-cases into the relay, the outbox, the breakers or the store, and
each action is one method a test can call. Every SQLite call runs in a thread: the screen keeps
drawing while the store is busy.
"""

from __future__ import annotations

import asyncio
import logging

from hardware.status import DeviceStatus
from kiosk_app.diagnostics import Report, gather
from kiosk_app.lending import Lending
from sync_agent.store import help_request

log = logging.getLogger(__name__)

SYNC_NOW_TIMEOUT_S = 10.0
RESOLVED_NOTE = "resolved by a technician at the kiosk"


class TechService:
    """The technician's actions over the kiosk's use-cases (their store, outbox, relay and
    breakers), and the report the technician screen shows."""

    def __init__(self, lending: Lending) -> None:
        self._lending = lending

    async def report(self, devices: list[DeviceStatus], log_lines: list[str]) -> Report:
        return await gather(self._lending, devices, log_lines)

    async def sync_now(self) -> None:
        """Deliver what is due now, for at most :data:`SYNC_NOW_TIMEOUT_S`."""
        await self._lending.relay.drain(SYNC_NOW_TIMEOUT_S)

    async def retry_dead(self, entry_id: int) -> None:
        await asyncio.to_thread(self._lending.outbox.retry_dead, entry_id)

    async def resolve_dead(self, entry_id: int) -> None:
        await asyncio.to_thread(self._lending.outbox.resolve_dead, entry_id, RESOLVED_NOTE)

    def reset_breaker(self, name: str) -> None:
        """Close the app's breaker ``name`` by hand."""
        self._lending.client.breakers.reset(name)

    async def check_store(self) -> str:
        """``ok``, or SQLite's list of problems."""
        return await asyncio.to_thread(self._lending.store.integrity_check)

    async def acknowledge_call(self) -> None:
        """Someone came: the patron's call for staff is over."""
        if await asyncio.to_thread(help_request.acknowledge, self._lending.store):
            log.warning("call for staff acknowledged on the technician screen")
