"""The wire contract of the central rental/payment API.

One module of pydantic models for every request and response, shared by the kiosk's client
(`sync_agent.central.rest.client`) and the stand-in (`backend_stub`). Field names travel in camelCase, as in
the seed's services; Python code uses snake_case. This module imports nothing of the project, so
that the stand-in can depend on it without depending on the kiosk.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
"""Set to ``true`` on a response that repeats the first answer to an idempotency key."""

SERVICES = ("rental", "payment", "book")

FINE_PER_DAY = 100
"""Late fine, KRW, for each library-local (Seoul) calendar day between the day of ``due_at`` and the
day of ``occurredAt``; the kiosk shows the same estimate the central side will charge."""


class Wire(BaseModel):
    """Base: camelCase on the wire, snake_case in code, unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ServiceState(StrEnum):
    UP = "up"
    DOWN = "down"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    WITHDRAWN = "withdrawn"


class BookStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    RENTED = "rented"
    WITHDRAWN = "withdrawn"


class RentalStatus(StrEnum):
    RESERVED = "reserved"
    RENTED = "rented"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ReqState(StrEnum):
    """The seed's ``reqState`` values for ``PATCH /rentals/{id}``, and ``kioskunrent``: a kiosk
    loan the patron was told does not count goes back to the reservation it was made from (still
    held for the member, its fee kept with it), instead of ending both with a return."""

    CANCEL = "cancel"
    RENTAL = "rental"
    RETURN = "return"
    KIOSK_RENTAL = "kioskrental"
    KIOSK_RETURN = "kioskreturn"
    KIOSK_UNRENT = "kioskunrent"


class PaymentStatus(StrEnum):
    PAID = "paid"
    REFUNDED = "refunded"


class ErrorCode(StrEnum):
    """Machine codes of refusals (409), bad requests (4xx) and outages (503)."""

    # 409 business refusals
    RESERVED_FOR_OTHER = "reserved_for_other"
    LIMIT_REACHED = "limit_reached"
    MEMBER_BLOCKED = "member_blocked"
    MEMBER_WITHDRAWN = "member_withdrawn"
    BOOK_WITHDRAWN = "book_withdrawn"
    BOOK_UNAVAILABLE = "book_unavailable"
    NOT_RENTED = "not_rented"
    NOT_RESERVED = "not_reserved"
    RETURN_PENDING = "return_pending"
    INVALID_STATE = "invalid_state"
    PAYMENT_DECLINED = "payment_declined"
    RENEWAL_LIMIT = "renewal_limit"
    OVERDUE = "overdue"  # a renewal of an overdue loan, where the library forbids it
    PIN_NOT_SET = "pin_not_set"  # a PIN check for a card the library gave no PIN
    # other 4xx
    NOT_FOUND = "not_found"
    VALIDATION_ERROR = "validation_error"
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    # 5xx
    SERVICE_DOWN = "service_down"
    INTERNAL_ERROR = "internal_error"


class ErrorBody(Wire):
    """Every non-2xx answer carries this body."""

    code: ErrorCode
    message: str
    service: str | None = None


class Health(Wire):
    status: Literal["ok", "degraded"]
    services: dict[str, ServiceState]


STOPS_RENEWING = frozenset({"renewal_denied", "card_invalid"})
"""Codes of ``Member.blocks`` that stop a renewal (a blocked ``status`` stops a borrow)."""


class Member(Wire):
    id: int
    card_number: str
    name: str = Field(description="the member's name as the library shows it (in Korean for most)")
    name_en: str | None = Field(None, description=(
        "the member's name in English (Latin letters), where the library keeps one; shown to a "
        "patron who chose English. Absent: ``name`` is shown in either language (a SIP2 ACS's "
        "AE, the only name it sends, is always ``name``)"))
    status: MemberStatus
    loan_limit: int
    fines: int = Field(description="unpaid fines, KRW")
    active_loans: int = 0
    blocks: list[str] = Field(default_factory=list, description=(
        "why the card is limited, as codes (a SIP2 ACS's patron-status flags and validity "
        "fields, sync_agent.central.sip2.patron); empty when the central side gives no reasons"))
    said: str = Field("", description="the library's own words about the card (a SIP2 AF), for the patron")
    fines_written: str = Field("", description="the fines as the library wrote them, with a currency "
                               "other than won (SIP2 BV and BH); empty when in won")
    email: str | None = Field(None, description="where the member's receipts may be emailed, if the "
                              "library has an address; the kiosk keeps it only until the mail is sent")

    def name_in(self, lang: str) -> str:
        """The name to show a patron who reads ``lang``: the English one in English where the
        library has one, else the name as the library shows it."""
        return self.name_en if lang == "en" and self.name_en else self.name


class PinCheckRequest(Wire):
    """``POST /members/{cardNumber}/pin-check``: the PIN the patron typed (never echoed back)."""

    pin: SecretStr = Field(min_length=1, max_length=12)


class PinCheck(Wire):
    """Whether the PIN is the card's: 200 ``{"valid": true}`` or ``{"valid": false, "triesLeft":
    2}``; 423 Locked ``{"valid": false, "triesLeft": 0, "lockedUntil": ...}`` while the central
    side refuses PINs for the card (too many wrong ones), whatever PIN was sent."""

    valid: bool = False
    tries_left: int | None = Field(None, ge=0)
    locked_until: AwareDatetime | None = None


class Book(Wire):
    id: int
    barcode: str
    isbn: str
    title: str
    author: str
    status: BookStatus
    updated_at: AwareDatetime


class BookPage(Wire):
    """``GET /books?updatedSince=``: copies changed since then, and the time to ask from next."""

    books: list[Book]
    server_time: AwareDatetime


class ReserveRequest(Wire):
    """``POST /rentals``: reserve a copy; payment is taken synchronously. A kiosk names itself and
    when the patron asked, so that a reservation whose answer was lost can be recognised among the
    member's rentals (its ``kioskNo`` and ``reservedAt``) without asking the payment service."""

    member_id: int
    book_id: int
    kiosk_no: str | None = None
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when the patron asked; the reservation's reservedAt and its hold run from it")


class RentalPatch(Wire):
    """``PATCH /rentals/{id}``: a state change named as in the seed."""

    req_state: ReqState
    kiosk_no: str | None = None
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when the patron acted; fines are computed from it"
    )


class KioskReturn(Wire):
    """``POST /kiosk/returns``: a self-return keyed by the item barcode the kiosk scanned."""

    barcode: str
    kiosk_no: str
    occurred_at: AwareDatetime


class KioskRent(Wire):
    """``POST /kiosk/rentals``: a self-rent of a copy reserved for this member, keyed by barcode."""

    member_id: int
    barcode: str
    kiosk_no: str
    occurred_at: AwareDatetime


class KioskRenew(Wire):
    """``POST /kiosk/renewals``: renew the member's loan of the copy with this barcode. Online only
    (never an outbox entry), sent with an ``Idempotency-Key`` so a repeat after a lost answer
    does not renew twice; answered with the loan's ``Rental`` and its new ``dueAt``."""

    member_id: int
    barcode: str
    kiosk_no: str


class Circulation(StrEnum):
    """Where a copy is, as the rental service knows it (authoritative, unlike the book status that
    follows it through events)."""

    ON_LOAN = "on_loan"
    ON_HOLD = "on_hold"  # reserved: waiting on the hold shelf for a member
    ON_SHELF = "on_shelf"
    WITHDRAWN = "withdrawn"


class ItemState(Wire):
    """``GET /kiosk/items/{barcode}``: is this copy on loan? Asked before a return is accepted, so
    the kiosk never says "returned" for a copy that was not on loan."""

    barcode: str
    title: str
    circulation: Circulation
    due_at: AwareDatetime | None = None


class ReservationQuote(Wire):
    """``GET /payments/quote?memberId=&bookId=``: the fee a reservation would cost, shown to the
    patron before they confirm (the kiosk keeps no fee table of its own)."""

    member_id: int
    book_id: int
    fee: int = Field(description="KRW")


class Rental(Wire):
    id: int
    member_id: int
    book_id: int
    barcode: str
    status: RentalStatus
    reserved_at: AwareDatetime | None = None
    hold_until: AwareDatetime | None = None
    rented_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    fine: int = 0
    payment_id: int | None = None
    fee: int = Field(0, description="the reservation fee paid for it, KRW (refunded on cancel)")
    kiosk_no: str | None = None
    renewals: int = Field(0, description="times this loan has been renewed")


class Payment(Wire):
    id: int
    rental_id: int
    member_id: int
    amount: int
    status: PaymentStatus
    paid_at: AwareDatetime
    refunded_at: AwareDatetime | None = None


class MyPageEntry(Wire):
    rental_id: int
    book_id: int
    barcode: str
    title: str
    status: RentalStatus
    hold_until: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    overdue: bool = False
    fee: int = Field(0, description="reservation fee paid, KRW; refunded if it is cancelled")


class MyPage(Wire):
    """``GET /mypages/{memberId}``: the member's read model, eventually consistent."""

    member_id: int
    name: str
    fines: int
    reservations: list[MyPageEntry]
    loans: list[MyPageEntry]
    as_of: datetime
