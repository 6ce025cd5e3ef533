"""Faults on demand, per service: down, slow, overloaded, failing, or dropping the connection.

A request names the services it goes through (``POST /rentals``: rental, then payment
synchronously) and passes each one's gate before any data is touched: a down service answers 503
with ``Retry-After``, a slow one sleeps a latency drawn from its range (the seed's 400-620 ms), an
error rate answers 500 instead of applying the request. A capacity sheds load as an overloaded
service does: while that many requests are inside the service (in its latency), the next one is
answered 503 with ``Retry-After`` at once. A drop is decided at the gate too but
carried out after the request has been applied and committed: the connection is cut while the
answer is on its way, the worst case for a client, which must retry with the same idempotency
key. Draws come from one seeded random generator, so a run with ``seed`` is reproducible.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from typing import Any

from sync_agent.wire.rest import SERVICES, ErrorCode

from .errors import ApiError, service_down

DROP_SCOPE_KEY = "backend_stub.drop"
"""Set in the ASGI scope of a request whose connection is to be cut after it is applied."""


@dataclass(frozen=True)
class ServiceFaults:
    down: bool = False
    latency_ms: tuple[int, int] | None = None
    error_rate: float = 0.0
    drop_rate: float = 0.0
    retry_after: int = 1
    """Seconds announced in ``Retry-After`` while the service is down or over capacity."""
    capacity: int | None = None
    """Requests the service works on at once; more are shed with 503 + ``Retry-After``."""

    def __post_init__(self) -> None:
        if self.latency_ms is not None and not 0 <= self.latency_ms[0] <= self.latency_ms[1]:
            raise ValueError("latency range must be 0 <= LO <= HI")
        for rate in (self.error_rate, self.drop_rate):
            if not 0.0 <= rate <= 1.0:
                raise ValueError("rates must be between 0 and 1")
        if self.retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if self.capacity is not None and self.capacity < 1:
            raise ValueError("capacity must be at least 1")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    """The current faults of each service; changed by the CLI at start and the admin API."""

    def __init__(self, initial: dict[str, ServiceFaults] | None = None, seed: int | None = None):
        self._current = {name: (initial or {}).get(name, ServiceFaults()) for name in SERVICES}
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._working: Counter[str] = Counter()
        self.arrivals: Counter[str] = Counter()
        """Requests that reached each service's gate (the first service of each request), so a
        test can count what a client really sent."""

    def get(self, service: str) -> ServiceFaults:
        return self._current[_known(service)]

    def set(self, service: str, faults: ServiceFaults) -> None:
        with self._lock:
            self._current[_known(service)] = faults

    def clear(self) -> None:
        """Every service healthy (also clears faults given on the command line)."""
        with self._lock:
            self._current = {name: ServiceFaults() for name in SERVICES}

    def is_down(self, service: str) -> bool:
        return self.get(service).down

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: faults.as_dict() for name, faults in self._current.items()}

    def _draw(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate

    def _latency(self, low: int, high: int) -> float:
        with self._lock:
            return self._random.uniform(low, high) / 1000

    async def gate(self, scope: MutableMapping[str, Any], services: tuple[str, ...]) -> None:
        """Pass the request through each service in turn, or raise its fault."""
        with self._lock:
            self.arrivals[services[0]] += 1
        for service in services:
            faults = self.get(service)
            if faults.down:
                raise service_down(service, faults.retry_after)
            await self._work(service, faults)
            if self._draw(faults.error_rate):
                raise ApiError(500, ErrorCode.INTERNAL_ERROR,
                               f"the {service} service failed (injected fault)", service)
            if self._draw(faults.drop_rate):
                scope[DROP_SCOPE_KEY] = True


    async def _work(self, service: str, faults: ServiceFaults) -> None:
        """The service's latency, or 503 at once when it already works at capacity."""
        with self._lock:
            if faults.capacity is not None and self._working[service] >= faults.capacity:
                raise service_down(service, faults.retry_after)
            self._working[service] += 1
        try:
            if faults.latency_ms is not None:
                await asyncio.sleep(self._latency(*faults.latency_ms))
        finally:
            with self._lock:
                self._working[service] -= 1


def _known(service: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return service
