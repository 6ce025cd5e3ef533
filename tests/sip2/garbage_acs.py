"""A small misbehaving ACS on a real socket, for the connection's tests: it logs in (or refuses
to), answers the status (99) at connect, and then answers every other message in one hostile way,
counting the logins it was sent.

It is not the fake library (``backend_stub.sip2_acs``): it knows no patrons or items, only enough
of a checkin (10), an item information (18) and an ACS status (98) answer for the kiosk to read.

Behaviours (``behaviour``):

- ``no_sequence`` / ``wrong_sequence``: good answers without AY, or with another request's AY;
- ``bad_checksum``: every answer with a wrong checksum, the resends (97) too;
- ``resend``: every message answered 96 (send it again), for ever;
- ``huge``: every message answered with 10 MB and no terminator;
- ``refuse_login``: the login answered 94 with ok=0; ``hangup_login``: the connection closed on the
  login, unanswered (Koha's way with a wrong password); ``silent_login``: the login never answered.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from sync_agent.wire.sip2 import ChecksumError, Dialect, Frame, WireError

HUGE = 10 * 1024 * 1024


class GarbageAcs:
    """One behaviour for every answer but the login's and the status's; a server in a thread."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.dialect = Dialect()
        self.logins = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="garbage-acs", daemon=True)

    def start(self) -> GarbageAcs:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._session, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readuntil(b"\r"):
                try:
                    frame = self.dialect.decode(line)
                except (ChecksumError, WireError):
                    continue
                answer = self._answer(frame)
                if answer is None:
                    continue
                writer.write(answer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def _answer(self, frame: Frame) -> bytes | None:
        if frame.command == "93":
            self.logins += 1
            if self.behaviour == "silent_login":
                return None
            if self.behaviour == "hangup_login":
                raise ConnectionResetError("the ACS hangs up on the login")
            return self.dialect.encode(Frame("94", "0" if self.behaviour == "refuse_login" else "1"),
                                       frame.sequence)
        if frame.command == "99":
            return self.dialect.encode(_reply(frame, self.dialect), frame.sequence)
        if self.behaviour == "resend":
            return self.dialect.encode(Frame("96"))
        if self.behaviour == "huge":
            return b"18" + b"Y" * HUGE
        good = self.dialect.encode(_reply(frame, self.dialect), frame.sequence)
        if self.behaviour == "bad_checksum":
            return good[:-5] + b"0000\r"
        if self.behaviour == "no_sequence":
            return self.dialect.encode(_reply(frame, self.dialect))
        if self.behaviour == "wrong_sequence":
            return self.dialect.encode(_reply(frame, self.dialect), ((frame.sequence or 0) + 1) % 10)
        return good


def _reply(frame: Frame, dialect: Dialect) -> Frame:
    """A readable answer to a status (99), checkin (09) or item information (17)."""
    stamp = dialect.date(datetime.now(UTC))
    barcode = ("AB", frame.get("AB"))
    if frame.command == "09":
        return Frame("10", "1YNN" + stamp, (("AO", "0042"), barcode, ("AQ", "main")))
    if frame.command == "17":
        return Frame("18", "030000" + stamp, (barcode, ("AJ", "A title")))
    return Frame("98", "YYYYNN030003" + stamp + "2.00", (("AO", "0042"), ("BX", "Y" * 16)))
