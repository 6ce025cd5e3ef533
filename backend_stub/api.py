"""The central API as the kiosk sees it: the routes of the wire contract."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from sync_agent.wire.rest import (
    SERVICES,
    Book,
    BookPage,
    ErrorBody,
    Health,
    ItemState,
    KioskRenew,
    KioskRent,
    KioskReturn,
    Member,
    MyPage,
    Payment,
    PinCheck,
    PinCheckRequest,
    Rental,
    RentalPatch,
    RentalStatus,
    ReqState,
    ReservationQuote,
    ReserveRequest,
    ServiceState,
)

from . import book_service, mypage, payment_service, pin_service, rental_service
from .runtime import StandIn


def stand_in(request: Request) -> StandIn:
    return request.app.state.stand_in


Central = Annotated[StandIn, Depends(stand_in)]

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorBody} for status in (404, 409, 413, 422, 503)}
router = APIRouter(responses=_ERRORS)


@router.get("/health", response_model=Health, tags=["health"])
def health(central: Central) -> Health:
    services = {name: ServiceState.DOWN if central.faults.is_down(name) else ServiceState.UP
                for name in SERVICES}
    status = "ok" if all(s == ServiceState.UP for s in services.values()) else "degraded"
    return Health(status=status, services=services)


@router.get("/members/{cardNumber}", response_model=Member, tags=["rental"])
async def get_member(request: Request, central: Central,
                     card_number: Annotated[str, Path(alias="cardNumber", max_length=64)]) -> Member:
    return await central.query(request, ("rental",),
                               lambda conn, now: rental_service.get_member(conn, card_number))


@router.post("/members/{cardNumber}/pin-check", response_model=PinCheck, tags=["rental"],
             responses={423: {"model": PinCheck, "description": "PIN entry locked for this card"}})
async def pin_check(request: Request, central: Central, body: PinCheckRequest,
                    card_number: Annotated[str, Path(alias="cardNumber", max_length=64)]) -> JSONResponse:
    """Whether the PIN is the card's; the rental service counts wrong ones and locks the card's
    PIN entry after 3 in a row for 15 minutes (``rules.PIN_MAX_TRIES``, ``PIN_LOCK_S``). Not an
    idempotent command: each check is a try."""
    pin = body.pin.get_secret_value()
    return await central.query(request, ("rental",),
                               lambda conn, now: pin_service.check(conn, card_number, pin, now))


@router.get("/books/{barcode}", response_model=Book, tags=["book"])
async def get_book(request: Request, central: Central,
                   barcode: Annotated[str, Path(max_length=64)]) -> Book:
    return await central.query(request, ("book",),
                               lambda conn, now: book_service.get_book(conn, barcode))


@router.get("/books", response_model=BookPage, tags=["book"])
async def list_books(request: Request, central: Central,
                     updated_since: Annotated[AwareDatetime | None,
                                              Query(alias="updatedSince")] = None) -> BookPage:
    return await central.query(request, ("book",),
                               lambda conn, now: book_service.books_since(conn, updated_since, now))


@router.post("/rentals", response_model=Rental, status_code=201, tags=["rental"])
async def reserve(request: Request, central: Central, body: ReserveRequest) -> JSONResponse:
    """Reserve a copy; the fee is paid synchronously through the payment service."""
    return await central.command(
        request, ("rental", "payment"), body,
        lambda conn, now: rental_service.reserve(conn, body, now), 201)


@router.patch("/rentals/{rentalId}", response_model=Rental, tags=["rental"])
async def patch_rental(request: Request, central: Central, body: RentalPatch,
                       rental_id: Annotated[int, Path(alias="rentalId")]) -> JSONResponse:
    """The seed's ``reqState`` transitions; ``kioskrental`` is checked with book management."""
    services = ("rental", "book") if body.req_state == ReqState.KIOSK_RENTAL else ("rental",)
    return await central.command(
        request, services, body, lambda conn, now: rental_service.patch(conn, rental_id, body, now))


@router.post("/kiosk/returns", response_model=Rental, tags=["kiosk"])
async def kiosk_return(request: Request, central: Central, body: KioskReturn) -> JSONResponse:
    """Self-return by item barcode; accepted while book management is down."""
    return await central.command(request, ("rental",), body,
                                 lambda conn, now: rental_service.kiosk_return(conn, body, now))


@router.post("/kiosk/rentals", response_model=Rental, tags=["kiosk"])
async def kiosk_rent(request: Request, central: Central, body: KioskRent) -> JSONResponse:
    """Self-rent of a copy reserved for the member, checked synchronously with book management."""
    return await central.command(request, ("rental", "book"), body,
                                 lambda conn, now: rental_service.kiosk_rent(conn, body, now))


@router.post("/kiosk/renewals", response_model=Rental, tags=["kiosk"])
async def kiosk_renew(request: Request, central: Central, body: KioskRenew) -> JSONResponse:
    """Renew a member's loan by item barcode: a new due date, or a 409 with why not."""
    return await central.command(request, ("rental",), body,
                                 lambda conn, now: rental_service.kiosk_renew(conn, body, now))


@router.get("/kiosk/items/{barcode}", response_model=ItemState, tags=["kiosk"])
async def kiosk_item(request: Request, central: Central,
                     barcode: Annotated[str, Path(max_length=64)]) -> ItemState:
    """Whether a copy is on loan, asked before a return is accepted; the rental service answers,
    so it works while book management is down."""
    return await central.query(request, ("rental",),
                               lambda conn, now: rental_service.item_state(conn, barcode))


@router.get("/payments/quote", response_model=ReservationQuote, tags=["payment"])
async def reservation_quote(request: Request, central: Central,
                            member_id: Annotated[int, Query(alias="memberId")],
                            book_id: Annotated[int, Query(alias="bookId")]) -> ReservationQuote:
    """The fee of reserving this copy, shown to the patron before they confirm."""
    return await central.query(request, ("payment",),
                               lambda conn, now: payment_service.quote(conn, member_id, book_id))


@router.get("/rentals", response_model=list[Rental], tags=["rental"])
async def list_rentals(
    request: Request, central: Central,
    member_id: Annotated[int | None, Query(alias="memberId")] = None,
    book_id: Annotated[int | None, Query(alias="bookId")] = None,
    status: RentalStatus | None = None,
) -> list[Rental]:
    return await central.query(
        request, ("rental",),
        lambda conn, now: rental_service.rentals(conn, member_id, book_id, status))


@router.get("/payments", response_model=list[Payment], tags=["payment"])
async def list_payments(request: Request, central: Central,
                        member_id: Annotated[int | None, Query(alias="memberId")] = None
                        ) -> list[Payment]:
    return await central.query(request, ("payment",),
                               lambda conn, now: payment_service.payments(conn, member_id))


@router.get("/mypages/{memberId}", response_model=MyPage, tags=["rental"])
async def my_page(request: Request, central: Central,
                  member_id: Annotated[int, Path(alias="memberId")]) -> MyPage:
    """The member's reservations and loans, from the read model fed by rental events."""
    return await central.query(
        request, ("rental",),
        lambda conn, now: mypage.my_page(conn, rental_service.member_row(conn, member_id=member_id),
                                         now))
