"""The central API at its worst, against the real relay: HTML pages, truncated and wrong-typed
JSON, statuses the contract never names, and a server that accepts the connection and never
answers. Whatever arrives, every entry stays in the outbox until a readable answer settles it:
delivered on a 2xx the contract can read, a dead letter only on a refusal (4xx other than 401, 403,
408 and 429), never lost, and the relay never raises.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import defaultdict
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk_data.codes import AT_LIMIT_LOAN, ON_LOAN, OVERDUE
from sync_agent.agent.relay import Relay
from sync_agent.central.rest.client import CentralClient
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox
from sync_agent.wire.rest import Rental, RentalStatus

BARCODES = [ON_LOAN, OVERDUE, AT_LIMIT_LOAN]
REFUSALS = {400, 404, 405, 409, 410, 413, 422}
RETRYABLE = {401, 403, 408, 429, 500, 502, 503, 504, 599}
"""401/403 are about the kiosk (its token): delivery pauses, and the entry waits (kiosk_wide)."""


def rental_json(barcode: str) -> bytes:
    return Rental(id=1, member_id=1, book_id=2, barcode=barcode, status=RentalStatus.RETURNED,
                  fine=0).model_dump_json(by_alias=True).encode()


# An answer is (status, body, how): how is "whole", "truncated" (Content-Length promises more than
# is sent, then the connection closes) or "silent" (the request is read, nothing is ever sent).
BODIES = st.sampled_from([
    b"<html><body><h1>502 Bad Gateway</h1></body></html>", b'{"id": 1, "memberI', b"[1, 2, 3]",
    b'{"id": "one", "memberId": [], "bookId": null}', b"", b"null", b'{"code": 7, "message": false}',
])
ANSWERS = st.one_of(
    st.tuples(st.sampled_from(sorted(REFUSALS | RETRYABLE | {200, 201, 202, 204, 301, 302, 304, 307})),
              BODIES, st.sampled_from(["whole", "whole", "truncated"])),
    st.just((200, b"", "silent")),
    st.just((200, b"VALID", "whole")),
)


class ScriptedServer:
    """Raw HTTP/1.1 on 127.0.0.1: each request takes the next answer of the script, then a valid
    answer for ever after; records which answers each idempotency key got."""

    def __init__(self, script: list[tuple[int, bytes, str]]) -> None:
        self.script = list(script)
        self.got: dict[str, list[tuple[int, bytes, str]]] = defaultdict(list)
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.open: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(conn)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn: socket.socket) -> None:
        try:
            reader = conn.makefile("rb")
            while request := reader.readline():
                headers = {}
                while (line := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", 0)))
                barcode = body.split(b'"barcode":"')[1][:14].decode() if b'"barcode":"' in body else ""
                with self.lock:
                    answer = self.script.pop(0) if self.script else (200, b"VALID", "whole")
                    self.got[headers.get("idempotency-key", request.decode())].append(answer)
                status, payload, how = answer
                if how == "silent":
                    continue  # read, never answered: the client's deadline must end it
                payload = rental_json(barcode) if payload == b"VALID" else payload
                head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                length = len(payload) + (50 if how == "truncated" else 0)
                conn.sendall(f"{head}Content-Length: {length}\r\n\r\n".encode() + payload)
                if how == "truncated":
                    return
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self.open:
            conn.close()


def readable_2xx(answer: tuple[int, bytes, str]) -> bool:
    return answer == (200, b"VALID", "whole")


def refusal(answer: tuple[int, bytes, str]) -> bool:
    status, _body, how = answer
    return status in REFUSALS and how == "whole"


@example(script=[(409, b"<h1>Conflict</h1>", "whole"), (200, b"", "silent"), (503, b"{", "truncated"),
                 (302, b"", "whole"), (200, b"[1, 2, 3]", "whole")])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(ANSWERS, max_size=8))
def test_any_answers_are_classified_and_no_entry_is_lost(tmp_path_factory, script) -> None:
    folder = tmp_path_factory.mktemp("kiosk")
    server = ScriptedServer(script)
    settings_ = Settings(id="kiosk-hostile", data_dir=folder, api_url=server.url, background_timeout_ms=300,
                         breaker_failure_threshold=100, breaker_reset_s=0.1)
    store = Store.open(settings_.db_path)
    try:
        outbox = Outbox(store, settings_.id)
        entries = [outbox.append_return(code, datetime.now(UTC)) for code in BARCODES]

        async def drain() -> None:
            async with CentralClient(settings_, owner="agent") as client:
                relay = Relay(store, client, settings_)
                relay.gate.probe_every_s = 0.05
                await relay.drain(60)

        asyncio.run(drain())
        for entry in entries:
            settled = outbox.get(entry.id)
            answers = server.got[entry.key]
            assert settled is not None, "an entry vanished from the outbox"
            assert answers, f"{entry.key} was never sent"
            if settled.status == "delivered":
                assert readable_2xx(answers[-1]), (answers, settled)
            else:
                assert settled.status == "dead", (settled.status, answers)
                # (an earlier readable answer may have come after the client gave up waiting)
                assert refusal(answers[-1]), (answers, settled.last_error)
    finally:
        store.close()
        server.close()
