"""One persistent SIP2 connection per process: connect (optionally TLS), log in, ask one at a time.

SIP2 is strictly one request, one answer on a connection, so :meth:`Sip2Connection.ask` holds a
lock for the whole exchange. The outcome of an exchange is typed the way the REST client types
it (:mod:`sync_agent.results`): nothing sent (no connection, login refused, in the reconnect
backoff) is :class:`Busy`; sent but no usable answer (timeout, dropped, garbage, too long) is
:class:`InDoubt`, and the connection is closed so a late answer can never be read as the answer to
the next request. A frame with a bad checksum is asked for again (97) and a 96 from the ACS makes
us send ours again, each at most ``RESENDS`` times. After a failure to connect, the next attempt
waits a backoff doubling from 0.1 s to 5 s; calls in that time are Busy at once.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass

from sync_agent.results import Busy, BusyReason, DoubtReason, InDoubt
from sync_agent.sip2_wire import ANSWER_OF, MAX_FRAME, ChecksumError, Dialect, Frame, WireError

log = logging.getLogger(__name__)

RESENDS = 2
IDLE_CHECK_S = 0.05
"""A connection idle longer than this gets one loop turn before it is used, so a FIN the ACS sent
meanwhile (its idle timeout) is seen and the request goes on a fresh connection instead of into a
closed one. Back-to-back requests (a drain) skip it: an ACS does not time out a busy connection,
and the turn costs about a tenth of a request's round trip."""
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 5.0


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    user: str
    password: str
    location: str
    tls: bool = False


class _Unusable(Exception):
    """The exchange failed in a way that leaves the stream unreadable: close it."""

    def __init__(self, reason: DoubtReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Sip2Connection:
    """The process's connection to the ACS, opened on first use and reopened after a failure."""

    def __init__(self, login: Login, dialect: Dialect, timeout_s: float, service: str = "sip2") -> None:
        self.login = login
        self.dialect = dialect
        self.timeout_s = timeout_s
        self.service = service
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._waiting = 0
        """Requests waiting for the lock."""
        self._sequence = 0
        self._backoff_s = 0.0
        self._next_connect = 0.0
        self._last_answer = 0.0
        self.status: Frame | None = None
        """The last 98 (ACS status), read at connect and by :meth:`health`."""

    async def ask(self, frame: Frame) -> Frame | Busy | InDoubt:
        """Send ``frame`` and read its answer, or say why there is none.

        When other requests are queued, the caller yields once after its exchange, so the next
        request goes on the wire before the caller goes on with its answer: that work (settling
        a delivery, say) then overlaps the ACS's work on the next request instead of delaying it."""
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            answer = await self._ask(frame)
        finally:
            self._lock.release()
        if self._waiting:
            await asyncio.sleep(0)
        return answer

    async def _ask(self, frame: Frame) -> Frame | Busy | InDoubt:
        ready = await self._ensure()
        if ready is not None:
            return ready
        try:
            return await self._exchange(frame)
        except _Unusable as exc:
            log.info("SIP2 %s: %s (%s); closing the connection", frame.command, exc.reason.value,
                     exc.detail)
            await self._close()
            return InDoubt(self.service, exc.reason, exc.detail)

    async def aclose(self) -> None:
        async with self._lock:
            await self._close()

    # -- plumbing ----------------------------------------------------------------------------

    async def _ensure(self) -> Busy | None:
        """A logged-in connection, or Busy: nothing was sent."""
        if self._writer is not None:
            if time.monotonic() - self._last_answer > IDLE_CHECK_S:
                await asyncio.sleep(0)  # let a FIN the peer sent while we were idle be seen
            if self._reader is not None and not self._reader.at_eof() and not self._writer.is_closing():
                return None
            await self._close()
        wait = self._next_connect - time.monotonic()
        if wait > 0:
            return Busy(self.service, wait, BusyReason.UNREACHABLE, "reconnect backoff")
        failure = await self._connect()
        if failure is None:
            self._backoff_s = 0.0
            return None
        await self._close()
        self._backoff_s = min(BACKOFF_MAX_S, max(BACKOFF_FIRST_S, self._backoff_s * 2))
        self._next_connect = time.monotonic() + self._backoff_s
        log.warning("SIP2 ACS %s:%d: %s; next try in %.1f s", self.login.host, self.login.port,
                    failure, self._backoff_s)
        return Busy(self.service, self._backoff_s, BusyReason.UNREACHABLE, failure)

    async def _connect(self) -> str | None:
        """Open, log in (93/94) and read the ACS status (99/98); the reason if any step failed."""
        context = ssl.create_default_context() if self.login.tls else None
        try:
            async with asyncio.timeout(self.timeout_s):
                self._reader, self._writer = await asyncio.open_connection(
                    self.login.host, self.login.port, ssl=context, limit=MAX_FRAME)
        except (OSError, TimeoutError) as exc:
            return f"cannot connect: {type(exc).__name__}"
        try:
            answer = await self._exchange(Frame("93", "00", (
                ("CN", self.login.user), ("CO", self.login.password), ("CP", self.login.location))))
            if answer.command != "94" or answer.flag(0) != "1":
                return "login refused (check sip2_user and sip2_password)"
            self.status = await self._exchange(self.sc_status())
        except _Unusable as exc:
            return f"login: {exc.detail}"
        return None

    @staticmethod
    def sc_status() -> Frame:
        return Frame("99", "0" + "080" + "2.00")

    async def _exchange(self, frame: Frame) -> Frame:
        assert self._reader is not None and self._writer is not None
        sequence = self._sequence
        self._sequence = (self._sequence + 1) % 10
        wire = self.dialect.encode(frame, sequence)
        expected = ANSWER_OF.get(frame.command)
        resends = 0
        to_send = wire
        while True:
            try:
                self._writer.write(to_send)
                async with asyncio.timeout(self.timeout_s):
                    await self._writer.drain()
                    line = await self._reader.readuntil(self.dialect.terminator[-1:])
            except TimeoutError:
                raise _Unusable(DoubtReason.TIMEOUT, "no answer in time") from None
            except asyncio.LimitOverrunError:
                raise _Unusable(DoubtReason.MALFORMED, "answer longer than the frame limit") from None
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
                raise _Unusable(DoubtReason.CONNECTION_LOST, type(exc).__name__) from None
            try:
                answer = self.dialect.decode(line)
            except ChecksumError:
                if resends >= RESENDS:
                    raise _Unusable(DoubtReason.MALFORMED, "checksum wrong after resends") from None
                resends += 1
                to_send = self.dialect.encode(Frame("97"))
                continue
            except WireError as exc:
                raise _Unusable(DoubtReason.MALFORMED, str(exc)) from None
            if answer.command == "96":
                if resends >= RESENDS:
                    raise _Unusable(DoubtReason.MALFORMED, "the ACS kept asking for a resend")
                resends += 1
                to_send = wire
                continue
            if answer.command != expected:
                raise _Unusable(DoubtReason.MALFORMED, f"answer {answer.command} to {frame.command}")
            if self.dialect.checksums and answer.sequence not in (None, sequence):
                raise _Unusable(DoubtReason.MALFORMED, "answer to another sequence number")
            self._last_answer = time.monotonic()
            return answer

    async def _close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                async with asyncio.timeout(0.2):
                    await writer.wait_closed()
            except (TimeoutError, OSError, ssl.SSLError):
                pass
