"""The patron's actions in one queue, served by one worker, and the one rule for an ended visit.

Scans and touches become jobs served in the order the patron made them, one at a time: a visit
never sees two of its actions interleave, and the event loop only awaits. A visit ends only
inside a job (the reset is a job too), so a job that started in a visit also finishes in it: its
result can never land on the next patron's screen. What can cross is a job *queued* in a visit
that ends before its turn (a tap on "renew" while the inactivity reset waits ahead of it): such a
job is bound to its visit when queued and dropped, unrun, if that visit is over by then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kiosk_app.session import Session

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class PatronQueue:
    """``current`` names the visit on screen; ``on_failure`` tells the patron that a job failed;
    ``after_each`` resets what a job may have left half-shown ("one moment…")."""

    def __init__(self, current: Callable[[], Session], on_failure: Callable[[Exception], Awaitable[None]],
                 after_each: Callable[[], None]) -> None:
        self._current = current
        self._on_failure = on_failure
        self._after_each = after_each
        self._jobs: asyncio.Queue[tuple[Job, Session | None]] = asyncio.Queue()

    def enqueue(self, job: Job, *, visit: Session | None = None) -> None:
        """Queue ``job``; with ``visit``, it runs only if that visit is still on when its turn
        comes (a job without one, like a scan, acts on whatever visit is on then)."""
        self._jobs.put_nowait((job, visit))

    async def serve(self) -> None:
        while True:
            await self._run(*await self._jobs.get())

    async def _run(self, job: Job, visit: Session | None) -> None:
        """One job, in a frame of its own: once it is done nothing here holds its visit (a
        waiting loop's locals would keep the last patron in memory until the next job)."""
        try:
            if visit is None or visit is self._current():
                await job()
            else:
                log.info("dropped an action of visit %s, which has ended", visit.id)
        except Exception as exc:  # noqa: BLE001 - any job's failure is reported, and the queue goes on
            await self._on_failure(exc)
        finally:
            self._after_each()
            self._jobs.task_done()

    async def drain(self) -> None:
        """Wait until every queued job is done (tests and benchmarks)."""
        await self._jobs.join()
