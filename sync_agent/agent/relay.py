"""The relay: claims outbox entries, delivers them, writes the outcome back.

Order and parallelism: a claim takes only the head (oldest unsettled entry) of each book, so the
entries of one book go out one after another while several books go out at once: as many as the
pacer's window (:mod:`sync_agent.agent.pacing`: it grows with successes up to ``relay_parallelism`` and
halves on timeouts, 5xx and 429; below one delivery it is a pause between sends). Claims fill
free slots only: an entry is claimed only while it is being sent (or queued at a SIP2
connection, which sends one at a time). Outcomes are written with the next claim, in one
transaction run in a thread while deliveries go on: toward parallel calls (REST) as soon as a
slot is free, toward one connection that answers in order (SIP2) once half the window is back,
so that one fsync settles many answers (group commit).

A claim that ends without a settlement (the process killed, a lease run out, a drain cut off)
counts as an attempt: the entry may have been sent, even applied. Over REST it is sent again
under the same key; the SIP2 adapter, which has no key, asks the item's state (17) first.

Retrying: within a claim, a retryable failure is tried again (timeout, connection error, 5xx,
429, unreadable answer) a few times with exponential backoff and full jitter, never waiting less
than the server's ``Retry-After`` or the pacer's pause; either also pauses new claims of the kinds
behind that dependency. A wait longer than a couple of seconds is not slept while holding
the claim: the entry goes back to pending with its next attempt time, so the app's
:meth:`Relay.deliver_book` is never stuck behind a sleeping agent. An open breaker stops claims of
the kinds behind it until its reset time.

Undoing has a deadline (a minute after the visit that was told "it does not count"): an intent in
doubt is claimed even while its dependency is held, since the adapter first reads the central
side's state elsewhere (the member's rentals, over REST); undo work is tried again at least every
:data:`UNDO_RECHECK_S`, however far its backoff has grown (a ``Retry-After`` is still honoured);
and the agent's calls wait ``background_timeout_ms``, not the patron's 610 ms, so a service that
stays slow is still heard.

Outcomes: a 2xx about the entry (or a repeat the server reports as already applied) → delivered,
with the answer's kept fields; a 2xx about another request → asked again, then after
:data:`MISMATCH_LIMIT` such answers a dead letter; an answer about the kiosk (token, clock, keys)
→ the entry waits and :class:`sync_agent.agent.kiosk_wide.KioskGate` pauses delivery;
409/422/other 4xx/404 → dead letter with the reason, kept for the technician. An *intent* the
patron was not told of (``Told.ASKING`` / ``Told.UNDO``) is settled the other way round: applied →
delivered *and* its compensation appended in the same transaction (cancel with refund, or
return); refused → declined, nothing to undo and nothing for a technician. These rules are the
saga's: :func:`sync_agent.agent.saga.settlement`.

Shutdown: :meth:`Relay.stop` stops new claims and lets the deliveries in hand finish and settle;
cancellation gives their claims back. Either way no entry is left in flight.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from tenacity import wait_random_exponential

from sync_agent.agent.dispatch import DEPENDENCY_OF_KIND, send
from sync_agent.agent.kiosk_wide import KioskGate
from sync_agent.agent.pacing import Pacer
from sync_agent.agent.saga import Intents, settlement
from sync_agent.central.port import Central
from sync_agent.central.results import (
    Busy,
    BusyReason,
    DoubtReason,
    InDoubt,
    NotFound,
    Ok,
    Refused,
    describe,
    is_kiosk_wide,
)
from sync_agent.settings import Settings
from sync_agent.store import schedule_clock
from sync_agent.store.claimer import owner_id
from sync_agent.store.database import Store, StoreError
from sync_agent.store.outbox import (
    UNDONE_IF_APPLIED,
    Kind,
    Outbox,
    OutboxEntry,
    Settlement,
    Status,
)
from sync_agent.store.read_model import ReadModel
from sync_agent.store.retention import Retention
from sync_agent.store.status import record_success

log = logging.getLogger(__name__)

BACKOFF = wait_random_exponential(multiplier=0.25, max=60)
"""Full-jitter exponential backoff: attempt n waits uniformly in [0, min(60, 0.25 * 2**(n-1))] s."""
MAX_IN_CLAIM_WAIT_S = 2.0
ATTEMPTS_PER_CLAIM = 3
REFRESH_EVERY_S = 60.0
PRUNE_EVERY_S = 3600.0
STORE_RETRY_S = 2.0


UNDO_RECHECK_S = 10.0
"""Work toward an undo (an intent the patron was told does not count, or its compensation) is
tried again at least this often, however far its backoff has grown (unless the central side asks
for longer with ``Retry-After``): the undo is promised within a minute of the visit's end, and one
call every few seconds from one kiosk is no load."""


MISMATCH_LIMIT = 5
"""2xx answers about another request an entry may get before it becomes a dead letter: a central
side that answered with a cached or crossed reply once or twice may answer right when asked
again under the same key; five in a row mean a person must look at the central side's record."""


def _mismatched_dead_letter(entry: OutboxEntry, result: InDoubt, sent: int, mismatched: int) -> Settlement:
    """Give up on an entry whose answers could not be matched to it, time after time."""
    count = entry.mismatches + mismatched
    error = (f"mismatched: {count} answers of the library system could not be matched to this "
             f"request ({result.detail}); check whether this {entry.kind} of item "
             f"{entry.barcode or '-'} was recorded there, then retry or resolve it")
    log.error("entry %d (%s %s) is a dead letter: %s", entry.id, entry.kind, entry.barcode, error)
    return Settlement(entry.id, Status.DEAD, sent, error=error, mismatches=mismatched,
                      response={"status": None, "code": "mismatched", "message": result.detail})


def backoff_s(attempt: int, retry_after_s: float | None) -> float:
    """Wait before attempt ``attempt + 1``: jittered exponential, at least ``Retry-After``.

    The same tenacity strategy schedules retries within a claim and, through ``next_attempt_at``,
    across claims; it reads nothing of the retry state but the attempt number."""
    state = SimpleNamespace(attempt_number=max(1, attempt))
    wait = BACKOFF(state)  # type: ignore[arg-type]  # the strategy reads only a RetryCallState's attempt_number
    return max(wait, retry_after_s or 0.0)


@dataclass(frozen=True)
class Asked:
    """How asking an intent while the patron waited ended: the last answer, and whether any
    attempt may have been applied (then a later Busy does not make it "not done")."""

    result: Ok[Any] | Refused | NotFound | Busy | InDoubt
    doubted: bool
    attempts: int

    @property
    def in_doubt(self) -> bool:
        return isinstance(self.result, InDoubt) or (isinstance(self.result, Busy) and self.doubted)


@dataclass
class DrainResult:
    delivered: int
    dead: int
    pending: int
    in_flight: int
    elapsed_s: float

    @property
    def empty(self) -> bool:
        return self.pending == 0 and self.in_flight == 0


class Relay:
    """Delivers this kiosk's outbox; one per process (the agent runs it, the app uses deliver_book)."""

    def __init__(self, store: Store, client: Central, settings: Settings, *,
                 role: str = "agent", poll_s: float = 0.25,
                 reload: Callable[[], Settings] | None = None) -> None:
        self.store = store
        self.client = client
        self.settings = settings
        self.outbox = Outbox(store, settings.id)
        self.read_model = ReadModel(store, self.outbox)
        self.intents = Intents(self.outbox)
        self.retention = Retention(store, settings)
        self.owner = owner_id(role)
        self.poll_s = poll_s
        self.store_retry_s = STORE_RETRY_S
        self.pacer = Pacer(settings.relay_parallelism)
        self.gate = KioskGate(store, record=role != "app", use_credentials=client.use_credentials,
                              reload=reload)
        """Pauses delivery while the kiosk is in a kiosk-wide state (:mod:`sync_agent.agent.kiosk_wide`)."""
        call_s = client.timeout_s
        queued = settings.relay_parallelism if client.answers_in_order else 1
        self.lease_s = max(30.0, 2 * ATTEMPTS_PER_CLAIM * (call_s + MAX_IN_CLAIM_WAIT_S) * queued)
        """Long enough for every try of a claim and, toward one connection that answers in order,
        for every try of the window queued before it: a lease that ran out while its entry waited
        would let another process send it a second time."""
        self._stopping = asyncio.Event()
        self.heartbeat = time.monotonic()
        """When the loop last showed progress (monotonic): the systemd watchdog pings only while
        this is fresh, so a loop stuck on an await is restarted, not just a blocked one."""
        self._last_refresh = -math.inf
        self._last_prune = -math.inf

    # -- the agent loop ----------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver due entries, refresh the catalog, forget expired member views and prune, until
        :meth:`stop`."""
        recovered = await asyncio.to_thread(self.outbox.recover_orphans)
        await asyncio.to_thread(self.gate.restore)
        if recovered:
            log.warning("returned %d entries left in flight by a stopped process to pending", recovered)
        try:
            while not self._stopping.is_set():
                self.heartbeat = time.monotonic()
                try:
                    worked = await self._pump(due_only=True)
                    await self._housekeeping()
                except StoreError as exc:  # a full disk may clear (pruning, a technician)
                    log.error("store unusable, retrying in %.1f s: %s", self.store_retry_s, exc)
                    await self._sleep(self.store_retry_s)
                    continue
                if not worked:
                    await self._sleep(self.poll_s)
        finally:
            self._release()  # the agent's claims, should any have escaped their _pump
            self._stopping.clear()

    def stop(self) -> None:
        """Ask :meth:`run` / :meth:`drain` to finish the deliveries in hand and return (the request
        is consumed by the call it ends)."""
        self._stopping.set()

    async def drain(self, timeout_s: float) -> DrainResult:
        """Make every entry due now, then deliver (with the usual backoff for what fails again)
        until the outbox has nothing pending or in flight, or ``timeout_s`` passes."""
        started = time.monotonic()
        deadline = started + timeout_s
        await asyncio.to_thread(self.outbox.recover_orphans)
        await asyncio.to_thread(self.outbox.make_due)
        await asyncio.to_thread(self.gate.restore)
        delivered = dead = 0
        try:
            while not self._stopping.is_set() and time.monotonic() < deadline:
                settled = await self._pump(due_only=True, deadline=deadline)
                delivered += sum(s.status is Status.DELIVERED for s in settled)
                dead += sum(s.status is Status.DEAD for s in settled)
                counts = await asyncio.to_thread(self.outbox.counts)
                if counts["pending"] == 0 and counts["in_flight"] == 0:
                    break
                if not settled:
                    await self._sleep(min(await self._idle_wait(), deadline - time.monotonic()))
        finally:
            self._stopping.clear()
        counts = await asyncio.to_thread(self.outbox.counts)
        return DrainResult(delivered, dead, int(counts["pending"] or 0), int(counts["in_flight"] or 0),
                           time.monotonic() - started)

    # -- before a rent (the app) -------------------------------------------------------------

    async def deliver_book(self, barcode: str, deadline_s: float) -> bool:
        """Deliver every unsettled entry of ``barcode``, in order, within ``deadline_s``.

        True when none is left pending or in flight (dead letters do not block: the central side
        has answered them). An entry another process is delivering is waited for, never re-sent.
        False when the deadline passes or the dependency's breaker is open."""
        deadline = time.monotonic() + deadline_s
        while True:
            unsettled = await asyncio.to_thread(self.outbox.pending_for, barcode)
            if not unsettled:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.gate.paused():  # the kiosk's token, clock or keys: asking now cannot help
                return False
            head = unsettled[0]
            if head.status is Status.IN_FLIGHT:
                await asyncio.sleep(min(0.05, remaining))
                continue
            if self.client.breakers.is_open(DEPENDENCY_OF_KIND[head.kind]):
                return False
            claimed = await asyncio.to_thread(self.outbox.claim, self.owner, limit=1,
                                              lease_s=self.lease_s, barcode=barcode, due_only=False)
            if not claimed:
                continue
            try:
                settlement = await self._deliver(claimed[0], budget_s=remaining)
                await asyncio.to_thread(self.outbox.settle, self.owner, [settlement])
            except BaseException:  # cancelled by the caller, or the store failed
                self._release([claimed[0].id], maybe_sent=True)
                raise

    # -- asking while the patron waits (the app) ---------------------------------------------

    async def ask(self, entry: OutboxEntry, budget_s: float, *, doubted: bool = False) -> Asked:
        """Send an intent the app holds the claim of, asking again under the same key while the
        answer is in doubt and ``budget_s`` allows another whole call; the caller settles it.

        A Busy before any doubt returns at once (the seed's "come back shortly" within
        milliseconds: nothing was applied), unless an earlier try was already in doubt
        (``doubted``: an intent asked again). The key makes every repeat safe: the central side
        replays its first answer instead of acting twice."""
        deadline = time.monotonic() + budget_s
        attempts = 0
        while True:
            result = await send(self.client, entry)
            attempts += 1
            doubted = doubted or isinstance(result, InDoubt)
            if not isinstance(result, Busy | InDoubt) or not doubted:
                return Asked(result, doubted, attempts)
            wait = backoff_s(attempts, result.retry_after_s)
            if time.monotonic() + wait + self.client.timeout_s > deadline:
                return Asked(result, doubted, attempts)
            await asyncio.sleep(wait)

    async def reclaim(self, entry: OutboxEntry) -> OutboxEntry | None:
        """Take back an unsettled intent to ask it again (the patron tries once more), or None if
        another process holds it or it was settled meanwhile."""
        return await asyncio.to_thread(self.outbox.claim_entry, entry.id, self.owner, self.lease_s)

    # -- plumbing ----------------------------------------------------------------------------

    async def _pump(self, *, due_only: bool, deadline: float = math.inf) -> list[Settlement]:
        """Keep up to ``relay_parallelism`` heads in flight until nothing more can be claimed.

        No new claims after :meth:`stop` or past ``deadline`` (monotonic). A claim takes only as
        many entries as there are free slots, so every claimed entry is being sent (the app's
        deliver_book never waits behind a queue of the agent's). Outcomes are written in the same
        transaction as the next claim, which frees their books' next entries and pays one fsync
        for both; the transaction runs in a thread, so answers keep arriving meanwhile, and the
        next one writes all of them (group commit). Toward parallel calls (REST) it starts as soon
        as a slot is free. Toward one connection that answers in order (SIP2), a free slot adds
        nothing to the wire while others are queued, so it waits until half the window is back:
        one fsync for many answers, while the other half keeps the connection busy."""
        settled: list[Settlement] = []
        unwritten: list[Settlement] = []
        running: set[asyncio.Task[Settlement]] = set()
        finished: list[asyncio.Task[Settlement]] = []
        arrived = asyncio.Event()
        claimed: list[int] = []

        def collect(task: asyncio.Task[Settlement]) -> None:
            finished.append(task)
            arrived.set()

        try:
            while True:
                closing = self._stopping.is_set() or time.monotonic() >= deadline
                window = self.pacer.window()
                half_back = len(running) <= window // 2 or not self.client.answers_in_order
                if half_back and (unwritten or not closing):
                    free = 0 if closing else self.gate.admit(max(0, window - len(running)))
                    for entry in await self._claim(free, due_only, unwritten):
                        claimed.append(entry.id)
                        task = asyncio.create_task(self._deliver(entry, budget_s=self.lease_s / 2))
                        task.add_done_callback(collect)
                        running.add(task)
                    settled += unwritten
                    unwritten = []
                if not running:
                    return settled
                if not finished:
                    arrived.clear()
                    await arrived.wait()
                for task in finished:
                    running.discard(task)
                    unwritten.append(task.result())
                finished.clear()
                self.heartbeat = time.monotonic()
        except BaseException:  # cancelled (shutdown) or the store failed: give our claims back,
            for task in running:  # each counted as tried (answered ones are asked about, not re-sent)
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            self._release(claimed, maybe_sent=True)
            raise

    async def _claim(self, limit: int, due_only: bool, settle: list[Settlement]) -> list[OutboxEntry]:
        """Write ``settle`` and claim up to ``limit`` heads (skipping kinds behind an open
        breaker or a ``Retry-After``) in one transaction."""
        skip = [kind for kind in Kind if self._held(DEPENDENCY_OF_KIND[kind])]
        if len(skip) == len(Kind):
            limit = 0
        if not limit and not settle:
            return []
        return await asyncio.to_thread(self.outbox.claim, self.owner, limit=limit,
                                       lease_s=self.lease_s, due_only=due_only, skip_kinds=skip,
                                       settle=settle)

    async def _deliver(self, entry: OutboxEntry, *, budget_s: float) -> Settlement:
        """Send one claimed entry, trying again in-claim while waits are short; never raises for
        the central side's behaviour.

        The rules are those of a tenacity retry (stop after :data:`ATTEMPTS_PER_CLAIM` attempts,
        or once ``budget_s`` has passed, or when the next wait is longer than
        :data:`MAX_IN_CLAIM_WAIT_S`; wait :func:`backoff_s`, never less than the pacer's pause),
        written out as a loop: tenacity's ``AsyncRetrying`` costs more per delivery than a SIP2
        round trip, and nearly every delivery needs one attempt."""
        sent = mismatched = attempt = 0
        dependency = DEPENDENCY_OF_KIND[entry.kind]
        started = time.monotonic()
        while True:
            attempt += 1
            sent_at = time.monotonic()
            result = await send(self.client, entry)
            self.pacer.observe(dependency, result, sent_at)
            self.gate.observe(result)
            if not (isinstance(result, Busy) and result.reason is BusyReason.BREAKER_OPEN):
                sent += 1
            if is_kiosk_wide(result):  # not this entry's fault: it waits, unchanged, for the gate
                assert isinstance(result, Busy)
                return Settlement(entry.id, Status.PENDING, sent, error=describe(result),
                                  next_attempt_at=schedule_clock.now(), mismatches=mismatched,
                                  renew_key=result.reason is BusyReason.KEYS_REJECTED)
            if isinstance(result, InDoubt) and result.reason is DoubtReason.MISMATCHED:
                mismatched += 1
                if entry.mismatches + mismatched >= MISMATCH_LIMIT:
                    return _mismatched_dead_letter(entry, result, sent, mismatched)
            if not isinstance(result, Busy | InDoubt):
                settled = settlement(entry, result, kiosk_id=self.settings.id,
                                     lends_from_shelf=self.client.lends_from_shelf, sent=sent)
                return replace(settled, mismatches=mismatched) if mismatched else settled
            wait = max(backoff_s(attempt, result.retry_after_s), self.pacer.paused_for(dependency))
            if (attempt >= ATTEMPTS_PER_CLAIM or time.monotonic() - started >= budget_s
                    or wait > MAX_IN_CLAIM_WAIT_S):
                wait = backoff_s(entry.attempts + max(sent, 1), None)
                if entry.told in UNDONE_IF_APPLIED or entry.compensates is not None:
                    wait = min(wait, UNDO_RECHECK_S)
                wait = max(wait, result.retry_after_s or 0.0)
                return Settlement(entry.id, Status.PENDING, sent, error=describe(result),
                                  next_attempt_at=schedule_clock.now() + wait, mismatches=mismatched)
            await asyncio.sleep(wait)

    async def _idle_wait(self) -> float:
        """Nothing claimable: how long until an entry falls due, a breaker lets a trial through or
        a ``Retry-After`` has passed."""
        due = await asyncio.to_thread(self.outbox.next_due_at)
        waits = [self._hold_s(DEPENDENCY_OF_KIND[kind]) for kind in Kind]
        waits = [wait for wait in [*waits, self.gate.wait_s()] if wait > 0]
        if due is not None and due > schedule_clock.now():  # due now but held: the hold is the wait
            waits.append(due - schedule_clock.now())
        return max(0.01, min(waits, default=self.poll_s))

    def _hold_s(self, dependency: str) -> float:
        return max(self.client.breakers.retry_after(dependency), self.pacer.paused_for(dependency))

    def _held(self, dependency: str) -> bool:
        """No new deliveries to ``dependency`` now: its breaker is open or it asked for a pause."""
        return self._hold_s(dependency) > 0

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=max(0.01, seconds))
        except TimeoutError:
            pass

    def _release(self, ids: list[int] | None = None, *, maybe_sent: bool = False) -> None:
        """Give claims back (synchronously: this also runs while a task is being cancelled);
        ``maybe_sent``: they may have been sent (see :meth:`Outbox.release_claims`)."""
        try:
            released = self.outbox.release_claims(self.owner, ids, maybe_sent=maybe_sent)
        except StoreError as exc:
            log.error("cannot give claims back (their leases will expire): %s", exc)
            return
        if released:
            log.info("gave back %d claimed entries", released)

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_refresh >= REFRESH_EVERY_S:
            self._last_refresh = now
            await self.refresh_read_model()
            await asyncio.to_thread(self.retention.purge)
        if now - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = now
            pruned = await asyncio.to_thread(self.outbox.prune_delivered,
                                             self.settings.delivered_retention_days * 86400.0)
            if pruned:
                log.info("pruned %d delivered entries", pruned)

    async def refresh_read_model(self) -> bool:
        """Fetch the catalog delta; False if unreachable. Member pages are not fetched here: the
        app fetches a patron's page while they are at the kiosk, and nobody else's is refreshed
        (docs/privacy.md)."""
        page = await self.client.books_since(await asyncio.to_thread(self.read_model.catalog_watermark))
        if not isinstance(page, Ok):
            return False
        await asyncio.to_thread(self.read_model.upsert_books, page.value.books, page.value.server_time)
        await asyncio.to_thread(record_success, self.store)
        return True
