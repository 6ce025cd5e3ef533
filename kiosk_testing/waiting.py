"""Waiting for a state rather than for a guessed time: the one loop every test and benchmark uses.

A sleep that is "long enough" is slow on a quiet machine and flaky on a loaded one (the suite shares
two cores with other work). These look at the state itself until it holds, and fail at a deadline
(20 s unless told: generous, since only a failure waits it out) with what was awaited; when ``what``
is a callable it is asked at that moment, so the failure shows the state last seen (a screen's text,
a log). :func:`wait_until` is for threads and other processes (:func:`poll_until` the same look
where running out of time is an outcome rather than a failure), :func:`wait_until_async` for a
running event loop: there the predicate may return an awaitable (a look done in a thread), and
``tick`` replaces the plain sleep between looks, for instance with a Pilot's pause so the app under
test runs meanwhile (:func:`kiosk_testing.pilot.wait_on_screen`).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
What = str | Callable[[], str]


def _missed(what: What, timeout_s: float) -> AssertionError:
    """An assertion error: a state that never came is a failed expectation, not a crash."""
    return AssertionError(f"not within {timeout_s} s: {what() if callable(what) else what}")


def poll_until(predicate: Callable[[], T], timeout_s: float, *, every_s: float = 0.02) -> T | None:
    """The predicate's first true value, looked for every ``every_s`` seconds; None once
    ``timeout_s`` has passed, for a caller to whom no answer is an outcome, not a failure (a
    benchmark's patron who gives up and walks on)."""
    deadline = time.monotonic() + timeout_s
    while not (found := predicate()):
        if time.monotonic() > deadline:
            return None
        time.sleep(every_s)
    return found


def wait_until(predicate: Callable[[], T], timeout_s: float = 20.0, what: What = "the awaited state",
               *, every_s: float = 0.02) -> T:
    """The predicate's first true value, looked for every ``every_s`` seconds."""
    found = poll_until(predicate, timeout_s, every_s=every_s)
    if found is None:
        raise _missed(what, timeout_s)
    return found


async def wait_until_async(predicate: Callable[[], T | Awaitable[T]], timeout_s: float = 20.0,
                           what: What = "the awaited state", *, every_s: float = 0.02,
                           tick: Callable[[], Awaitable[object]] | None = None) -> T:
    """The predicate's first true value; between looks ``tick()`` is awaited, or a sleep of
    ``every_s`` seconds, so the loop's other tasks (a relay, a server, the app) go on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        found = predicate()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        if loop.time() > deadline:
            raise _missed(what, timeout_s)
        await (tick() if tick is not None else asyncio.sleep(every_s))
