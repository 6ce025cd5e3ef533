"""One persistent SIP2 connection per process: connect (optionally TLS), log in, ask one at a time.

SIP2 is strictly one request, one answer on a connection, so :meth:`Sip2Connection.ask` holds a
lock for the whole exchange. The outcome of an exchange is typed the way the REST client types
it (:mod:`sync_agent.central.results`): nothing sent (no connection, login refused, in the reconnect
backoff) is :class:`Busy`; sent but no usable answer (timeout, dropped, garbage, too long) is
:class:`InDoubt`, and the connection is closed so a late answer can never be read as the answer to
the next request. A frame with a bad checksum is asked for again (97) and a 96 from the ACS makes
us send ours again, each at most ``RESENDS`` times.

**Sequence numbers.** With error detection on, every request carries ``AY<n>`` (0-9, one more per
request) and the ACS echoes it. An answer with another AY, or with none, is not about this request
(a cache, a proxy or an ACS answering out of step): it is in doubt as ``MISMATCHED``, exactly as the
REST client reports an answer about another request, so the relay asks again and, after
``relay.MISMATCH_LIMIT`` such answers, makes the entry a dead letter with words for the technician.
The connection is then dropped, not read on: the answer read belongs to some other exchange, so
the answer to this request may still be on its way and would be read as the next request's.
Reconnecting costs one login; reading on could settle an entry with another entry's answer.

**Backoff.** After a failure to connect, the next attempt waits a backoff doubling from 0.1 s to
5 s; calls in that time are Busy at once, with the failure's reason. A connection that logged in
but then gave no usable answer at all (bad checksums, endless resend requests, an oversized line,
another request's answer, silence) counts as a failure to connect too: otherwise a garbage ACS
that accepts every login is logged into once per request. The backoff ends with the first usable
answer to a request, not with a login.

**A refused login** (94 with ok=0, or the connection closed on the login unanswered; a login merely
unanswered is unreachable: a slow ACS is no wrong password) is ``LOGIN_REFUSED``: about the kiosk's
SIP2 account, not about any request, so the relay pauses delivery in a kiosk-wide state
(:mod:`sync_agent.agent.kiosk_wide`) instead of counting it against entries or the breakers. Each
run of failures of one kind is logged once, with what to check; the next usable answer is logged as
the end of it."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass, replace

from sync_agent.central.results import LOGIN_CHECK, Busy, BusyReason, DoubtReason, InDoubt
from sync_agent.settings import Settings
from sync_agent.wire.sip2 import ANSWER_OF, MAX_FRAME, ChecksumError, Dialect, Frame, WireError

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
    """Where and as whom the connection logs in (93): what a technician fixes after a refusal."""

    host: str
    port: int
    user: str
    password: str
    location: str
    tls: bool = False

    @classmethod
    def of(cls, settings: Settings) -> Login:
        return cls(settings.sip2_host, settings.sip2_port, settings.sip2_user,
                   settings.sip2_password.get_secret_value(), settings.sip2_location, settings.sip2_tls)


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
        self._failure: Busy | None = None
        """Why the connection is not usable, repeated while backing off; None after a usable answer."""
        self._answered = False
        """Whether the connection gave a usable answer to a request since its login."""
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
            answer = await self._exchange(frame)
        except _Unusable as exc:
            log.info("SIP2 %s: %s (%s); closing the connection", frame.command, exc.reason.value,
                     exc.detail)
            await self._close()
            if not self._answered:  # logged in, then nothing usable: as bad as no connection
                self._back_off(BusyReason.UNREACHABLE, f"no usable answer after the login: {exc.detail}")
            return InDoubt(self.service, exc.reason, exc.detail)
        self._answered = True
        self._backoff_s = 0.0
        if self._failure is not None:
            log.warning("SIP2 ACS %s:%d answers again (was: %s)", self.login.host, self.login.port,
                        self._failure.detail)
            self._failure = None
        return answer

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
        if wait > 0 and self._failure is not None:
            return replace(self._failure, retry_after_s=wait, detail="reconnect backoff")
        failure = await self._connect()
        if failure is None:
            self._answered = False
            return None
        await self._close()
        return self._back_off(*failure)

    def _back_off(self, reason: BusyReason, detail: str) -> Busy:
        """Wait longer before the next connect; log the first failure of a run of one kind."""
        self._backoff_s = min(BACKOFF_MAX_S, max(BACKOFF_FIRST_S, self._backoff_s * 2))
        self._next_connect = time.monotonic() + self._backoff_s
        first = self._failure is None or self._failure.reason is not reason
        self._failure = Busy(self.service, self._backoff_s, reason, detail)
        where = f"SIP2 ACS {self.login.host}:{self.login.port}"
        if not first:
            log.debug("%s: %s; next try in %.1f s", where, detail, self._backoff_s)
        elif reason is BusyReason.LOGIN_REFUSED:
            log.error("%s refuses the login of user %r at location %r (%s): %s; trying again with "
                      "backoff, not logged again until the ACS answers", where, self.login.user,
                      self.login.location, detail, LOGIN_CHECK)
        else:
            log.warning("%s: %s; trying again with backoff (%.1f s, doubling to %.0f s), not "
                        "logged again until it answers", where, detail, self._backoff_s, BACKOFF_MAX_S)
        return self._failure

    async def _connect(self) -> tuple[BusyReason, str] | None:
        """Open, log in (93/94) and read the ACS status (99/98); why not, if any step failed."""
        context = ssl.create_default_context() if self.login.tls else None
        try:
            async with asyncio.timeout(self.timeout_s):
                self._reader, self._writer = await asyncio.open_connection(
                    self.login.host, self.login.port, ssl=context, limit=MAX_FRAME)
        except (OSError, TimeoutError) as exc:
            return BusyReason.UNREACHABLE, f"cannot connect: {type(exc).__name__}"
        try:
            answer = await self._exchange(Frame("93", "00", (
                ("CN", self.login.user), ("CO", self.login.password), ("CP", self.login.location))))
        except _Unusable as exc:
            if exc.reason is DoubtReason.CONNECTION_LOST:  # hung up on the login, as Koha does on a wrong one
                return BusyReason.LOGIN_REFUSED, f"no answer to the login: {exc.detail}"
            return BusyReason.UNREACHABLE, f"login: {exc.detail}"
        if answer.flag(0) != "1":
            return BusyReason.LOGIN_REFUSED, "login refused (94 with ok=0)"
        try:
            self.status = await self._exchange(self.sc_status())
        except _Unusable as exc:
            return BusyReason.UNREACHABLE, f"status: {exc.detail}"
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
            if self.dialect.checksums and answer.sequence != sequence:
                raise _Unusable(DoubtReason.MISMATCHED, _not_in_step(answer, sequence))
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


def _not_in_step(answer: Frame, sequence: int) -> str:
    if answer.sequence is None:
        return (f"answer {answer.command} without the request's sequence number AY{sequence} (an ACS "
                "that never sends one has error detection off: then set sip2_checksums = false)")
    return f"answer {answer.command} with sequence number AY{answer.sequence}, not the request's AY{sequence}"
