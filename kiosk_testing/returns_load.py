"""A central side with many copies on loan, and a plain loop returning them: the load behind the
drain benchmark, the fleet benchmark and the overload tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from backend_stub.app import create_app
from backend_stub.db import stamp

FIRST_ID = 100_000


def barcode(index: int) -> str:
    return f"3004210{index:07d}"


def prepare_central(db_path: Path, count: int) -> None:
    """A stand-in database with ``count`` extra copies on loan to member 6."""
    app = create_app(db_path)
    db = app.state.stand_in.db
    now = datetime.now(UTC)
    with db.transaction() as conn:
        conn.executemany("INSERT INTO books (id, barcode, isbn, title, author, status, updated_at) "
                         "VALUES (?, ?, '9780000000000', ?, 'Bench', 'rented', ?)",
                         [(FIRST_ID + i, barcode(i), f"Bench copy {i}", stamp(now)) for i in range(count)])
        conn.executemany("INSERT INTO rentals (member_id, book_id, status, rented_at, due_at) "
                         "VALUES (6, ?, 'rented', ?, ?)",
                         [(FIRST_ID + i, stamp(now - timedelta(days=1)), stamp(now + timedelta(days=13)))
                          for i in range(count)])
    db.close()


async def send_returns(url: str, count: int, parallelism: int) -> tuple[float, int]:
    """The baseline: the same returns (fresh keys) from a plain httpx loop, ``parallelism`` at a
    time; (wall seconds, answers 200)."""
    now = datetime.now(UTC).isoformat()
    async with httpx.AsyncClient(base_url=url, timeout=30,
                                 limits=httpx.Limits(max_connections=parallelism)) as http:
        async def send(index: int) -> httpx.Response:
            """One return; sent again under the same key when the connection was reset under it.

            At 200 requests in flight the stand-in (uvicorn, 5 s keep-alive) now and then resets a
            kept-alive connection that a request has just gone out on: httpx raises ``ReadError``
            (anyio ``BrokenResourceError``) while reading the answer's headers. 5 of 10,000 in
            one run; the relay re-sends such a request under its key, and so does this loop."""
            key = f"plain:{uuid.uuid4()}"
            while True:
                try:
                    return await http.post("/kiosk/returns", json={
                        "barcode": barcode(index), "kioskNo": "kiosk-bench", "occurredAt": now},
                        headers={"Idempotency-Key": key})
                except httpx.ReadError:
                    continue

        async def worker(indices: range) -> int:
            ok = 0
            for index in indices:
                ok += (await send(index)).status_code == 200
            return ok

        started = time.perf_counter()
        oks = await asyncio.gather(*(worker(range(w, count, parallelism)) for w in range(parallelism)))
        return time.perf_counter() - started, sum(oks)
