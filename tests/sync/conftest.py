"""Fixtures of the sync room: settings on a temp folder, the store, and a hostile HTTP server.

``hostile`` is a tiny raw HTTP/1.1 server on 127.0.0.1 for answers the stand-in never gives
(HTML error pages, truncated JSON, a slow reply): each test queues the replies it wants, and the
server records every request (path, idempotency key, body, arrival and departure time).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk_data.codes import ON_LOAN
from sync_agent.agent.saga import Intents
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, OutboxEntry, Settlement, Status, Told

DATA = Path(__file__).resolve().parents[2] / "data"


def rented_barcodes() -> list[str]:
    """Barcodes of the demo copies on loan (returnable) in the stand-in's demo library."""
    items = json.loads((DATA / "items.json").read_text())
    return [item["barcode"] for item in items if item["status"] == "rented"]


def make_settings(tmp_path: Path, api_url: str = "http://127.0.0.1:9", **overrides: Any) -> Settings:
    values: dict[str, Any] = {"id": "kiosk-07", "data_dir": tmp_path / "kiosk", "api_url": api_url,
                              "breaker_failure_threshold": 3, "breaker_reset_s": 0.5,
                              "call_timeout_ms": 610}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def outbox(store: Store) -> Outbox:
    return Outbox(store, "kiosk-07")


RENTAL = (b'{"id": 2, "memberId": 1, "bookId": 2, "barcode": "30042000000022", "status": "returned", '
          b'"fine": 0}')
"""A readable answer to a return of item 30042000000022 (a returned ``Rental`` of that copy)."""


def honest_rental(method: str, path: str, body: dict[str, Any] | None) -> bytes:
    """The ``Rental`` an honest central side answers to a delivery: of the copy, member, rental
    and kind the request named (what a 2xx must carry for an entry to count as delivered)."""
    body = body or {}
    rental: dict[str, Any] = {"id": 2, "memberId": body.get("memberId", 1), "bookId": body.get("bookId", 2),
                              "barcode": body.get("barcode", ON_LOAN), "fine": 0}
    if method == "PATCH":
        unrent = body.get("reqState") == "kioskunrent"
        rental |= {"id": int(path.rsplit("/", 1)[-1]), "status": "reserved" if unrent else "cancelled"}
    elif path == "/rentals":
        rental |= {"status": "reserved"}
    else:
        rental |= {"status": "rented" if path == "/kiosk/rentals" else "returned"}
    return json.dumps(rental).encode()


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None
    """None: the honest answer to the request (:func:`honest_rental`)."""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay_s: float = 0.0
    truncate_to: int | None = None
    """Close the connection after this many body bytes although Content-Length says more."""
    declared_length: int | None = None
    """The Content-Length announced, when it is not the body's own."""
    chunked: bool = False
    """Sent with ``Transfer-Encoding: chunked`` (64 KiB chunks), no length announced."""


@dataclass
class Seen:
    method: str
    path: str
    key: str | None
    body: dict[str, Any] | None
    headers: dict[str, str]
    arrived: float
    left: float = 0.0


class HostileServer:
    """Answers queued :class:`Reply` objects in order (then ``default``), one thread per connection."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def _accept(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # a client that hangs up ends its connection
            self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        while True:
            request_line = reader.readline()
            if not request_line:
                return
            method, path, _ = request_line.decode().split(" ", 2)
            headers = {}
            while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            raw = reader.read(int(headers.get("content-length", 0)))
            seen = Seen(method, path, headers.get("idempotency-key"),
                        json.loads(raw) if raw else None, headers, time.monotonic())
            with self._lock:
                self.seen.append(seen)
                reply = self.replies.popleft() if self.replies else self.default
            time.sleep(reply.delay_s)
            full = honest_rental(method, path, seen.body) if reply.body is None else reply.body
            body = full if reply.truncate_to is None else full[:reply.truncate_to]
            length = len(full) if reply.declared_length is None else reply.declared_length
            framing = "Transfer-Encoding: chunked" if reply.chunked else f"Content-Length: {length}"
            head = [f"HTTP/1.1 {reply.status} X", framing]
            head += [f"{name}: {value}" for name, value in reply.headers.items()]
            seen.left = time.monotonic()
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            if reply.chunked:
                for start in range(0, len(body), 65536):
                    piece = body[start:start + 65536]
                    conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                conn.sendall(b"0\r\n\r\n")
            else:
                conn.sendall(body)
            if reply.truncate_to is not None:
                return

    def close(self) -> None:
        self._running = False
        self._sock.close()


@pytest.fixture
def hostile():
    server = HostileServer()
    yield server
    server.close()


def queued_rent(outbox: Outbox, member_id: int, barcode: str, now: datetime) -> OutboxEntry:
    """A borrow the patron was told is saved and confirmed later (offline checkout): asked once,
    unanswered, and left pending for the agent, as the app leaves it."""
    entry = Intents(outbox).begin_rent(member_id, barcode, now, visit="test", owner="app:0:t", lease_s=30)
    outbox.settle("app:0:t", [Settlement(entry.id, Status.PENDING, attempts=0, told=Told.QUEUED)])
    return outbox.get(entry.id)
