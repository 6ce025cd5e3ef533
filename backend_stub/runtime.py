"""The running stand-in: database, clock, faults, and the one path every request takes.

``query`` and ``command`` pass the request through its services' fault gates, run the work in one
transaction (after expiring overdue holds, so the rules always see the present), then let the
event consumers of the services that are up catch up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sync_agent.wire.rest import IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER

from . import book_service, demo_data, idempotency, mypage, payment_service, rental_service
from .clock import Clock
from .db import Database
from .events import Consumer, consume
from .faults import Faults

T = TypeVar("T")
Work = Callable[[sqlite3.Connection, datetime], T]

CONSUMERS = (
    Consumer("book-status", "book", book_service.on_rental_changed),
    Consumer("payment-refunds", "payment", payment_service.on_rental_changed),
    Consumer("mypage", "rental", mypage.on_rental_changed),
)


@dataclass
class StandIn:
    db: Database
    faults: Faults = field(default_factory=Faults)
    clock: Clock = field(default_factory=Clock)
    admin_enabled: bool = False

    @classmethod
    def open(cls, db_path: Path, data_dir: Path = demo_data.DATA_DIR, **options) -> StandIn:
        """Open (or create) the database; a new one gets the demo library."""
        stand_in = cls(Database(db_path), **options)
        if stand_in.db.is_empty():
            with stand_in.db.transaction() as conn:
                demo_data.load(conn, data_dir, stand_in.clock.now())
        stand_in.pump()  # a reopened database may hold events an outage left unapplied
        return stand_in

    def pump(self) -> int:
        """Let every consumer whose service is up apply its backlog; return events applied."""
        applied = 0
        for consumer in CONSUMERS:
            if not self.faults.is_down(consumer.service):
                with self.db.transaction() as conn:
                    applied += consume(conn, consumer, self.clock.now())
        return applied

    def run(self, work: Work[T]) -> T:
        """One transaction: expire holds, do the work; then the consumers catch up."""
        with self.db.transaction() as conn:
            now = self.clock.now()
            rental_service.expire_holds(conn, now)
            result = work(conn, now)
        self.pump()
        return result

    async def query(self, request: Request, services: tuple[str, ...], work: Work[T]) -> T:
        await self.faults.gate(request.scope, services)
        return self.run(work)

    async def command(self, request: Request, services: tuple[str, ...],
                      payload: BaseModel | None, work: Work[BaseModel],
                      status_code: int = 200) -> JSONResponse:
        """A state change, applied at most once per ``Idempotency-Key``."""
        key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
        idempotency.check_key(key)
        await self.faults.gate(request.scope, services)
        print_ = idempotency.fingerprint(request.method, request.url.path, payload)
        with self.db.transaction() as conn:
            now = self.clock.now()
            rental_service.expire_holds(conn, now)
            stored = idempotency.replay(conn, key, print_) if key else None
            if stored is None:
                body = work(conn, now).model_dump(mode="json", by_alias=True)
                if key:
                    idempotency.record(conn, key, print_, status_code, body, now)
        self.pump()
        if stored is not None:
            return JSONResponse(stored[1], stored[0], headers={REPLAYED_HEADER: "true"})
        return JSONResponse(body, status_code)

    def key_counts(self) -> dict[str, int]:
        with self.db.transaction() as conn:
            return idempotency.counts(conn)
