"""The admin API for tests and demos: faults, the clock, idempotency counts, withdrawing a copy.

Refused with 403 unless the stand-in was started with faults enabled (``--faults``), so a demo
run cannot be broken from the network by accident.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, Field

from sync_agent.wire.rest import SERVICES, Book, ErrorBody, ErrorCode, Wire

from . import book_service, rental_service
from .errors import ApiError, invalid
from .events import backlog
from .faults import ServiceFaults
from .runtime import CONSUMERS, StandIn


class FaultSettings(Wire):
    """The faults of one service; what is left out is healthy."""

    down: bool = False
    latency_ms: tuple[int, int] | None = Field(None, description="[LO, HI] milliseconds")
    error_rate: float = Field(0.0, ge=0, le=1)
    drop_rate: float = Field(0.0, ge=0, le=1)
    retry_after: int = Field(1, ge=0, le=3600, description="seconds, sent while down or over capacity")
    capacity: int | None = Field(None, ge=1, description="requests worked on at once; more get 503")


class ClockAdvance(Wire):
    seconds: float = Field(gt=0, le=10 * 365 * 86400)


class ClockState(Wire):
    now: AwareDatetime


def admin_stand_in(request: Request) -> StandIn:
    central: StandIn = request.app.state.stand_in
    if not central.admin_enabled:
        raise ApiError(403, ErrorCode.FORBIDDEN,
                       "the admin API is disabled; start the stand-in with --faults")
    return central


Admin = Annotated[StandIn, Depends(admin_stand_in)]
router = APIRouter(prefix="/admin", tags=["admin"], responses={403: {"model": ErrorBody}})


@router.get("/faults")
def get_faults(central: Admin) -> dict[str, dict[str, Any]]:
    return central.faults.snapshot()


@router.put("/faults/{service}")
def set_faults(central: Admin, service: str, body: FaultSettings) -> dict[str, dict[str, Any]]:
    """Replace one service's faults; a service coming back up catches up on its events."""
    if service not in SERVICES:
        raise invalid(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    try:
        faults = ServiceFaults(**body.model_dump())
    except ValueError as exc:
        raise invalid(str(exc)) from exc
    central.faults.set(service, faults)
    central.pump()
    return central.faults.snapshot()


@router.delete("/faults")
def clear_faults(central: Admin) -> dict[str, dict[str, Any]]:
    central.faults.clear()
    central.pump()
    return central.faults.snapshot()


@router.get("/idempotency")
def key_counts(central: Admin) -> dict[str, int]:
    """Each idempotency key seen with the number of times its request was applied."""
    return central.key_counts()


@router.get("/requests")
def request_counts(central: Admin) -> dict[str, int]:
    """Requests that reached each service since start (under the first service they pass)."""
    return dict(central.faults.arrivals)


@router.get("/events")
def event_backlog(central: Admin) -> dict[str, int]:
    """Events each consumer has still to apply (non-zero while its service is down)."""
    with central.db.transaction() as conn:
        return {consumer.name: backlog(conn, consumer) for consumer in CONSUMERS}


@router.get("/clock", response_model=ClockState)
def get_clock(central: Admin) -> ClockState:
    return ClockState(now=central.clock.now())


@router.post("/clock/advance", response_model=ClockState)
def advance_clock(central: Admin, body: ClockAdvance) -> ClockState:
    """Move the clock forward; holds past their deadline expire at once."""
    central.clock.advance(body.seconds)
    central.run(lambda conn, now: None)
    return ClockState(now=central.clock.now())


@router.post("/books/{barcode}/withdraw", response_model=Book)
def withdraw_copy(central: Admin, barcode: Annotated[str, Path(max_length=64)]) -> Book:
    """Book management withdraws a lost copy; its reservations are cancelled and refunded."""
    def work(conn, now) -> Book:
        rental_service.withdraw_copy(conn, barcode, now)
        return book_service.get_book(conn, barcode)

    return central.run(work)
