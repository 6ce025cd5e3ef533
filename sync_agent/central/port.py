"""The central side as a port: what the use-cases and the relay need of the library system.

Two adapters implement it: :class:`sync_agent.central.rest.client.CentralClient` (the REST central API) and
:class:`sync_agent.central.sip2.client.Sip2Client` (a SIP 2.00 ACS such as Koha or Evergreen);
:func:`sync_agent.central.adapters.open_central` picks one from ``Settings.central``. Every operation
answers one of the typed results of :mod:`sync_agent.central.results` and never raises for the central
side's behaviour, so the saga, the relay and the breakers above the port are the same for both.
The use-cases (``kiosk_app.lending``, ``kiosk_app.session``) import this module, never an adapter
(an import-linter contract in ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import SecretStr

from sync_agent.central.breakers import Breakers
from sync_agent.central.results import Result
from sync_agent.settings import Settings
from sync_agent.wire.rest import (
    Book,
    BookPage,
    Health,
    ItemState,
    Member,
    MyPage,
    PinCheck,
    Rental,
    ReservationQuote,
)


class Verb(StrEnum):
    """A state change the kiosk asks of the library system. The values are the outbox's kinds,
    whose entries the relay sends through the verb of the same value."""

    CHECK_IN = "return"
    CHECK_OUT = "rent"
    RESERVE = "reserve"
    CANCEL = "cancel"
    UNRENT = "unrent"
    """The undo of a self-rent of a reserved copy: the loan back to its reservation."""


DEPENDENCY_OF = {Verb.CHECK_IN: "returns", Verb.CHECK_OUT: "lending", Verb.CANCEL: "lending",
                 Verb.RESERVE: "payment", Verb.UNRENT: "returns"}
"""The breaker a verb goes through, whichever adapter sends it. An undo of a loan (``unrent``)
goes where returns go: the rental service alone, not the book management whose slowness may have
kept the loan's answer from the patron and opened the lending breaker."""


@dataclass(frozen=True, slots=True)
class Command:
    """One state change asked under its idempotency key: what the adapters need of an outbox
    entry, and nothing of the queue around it. Sent again after an in-doubt answer, it must not
    act twice."""

    key: str
    occurred_at: datetime
    """When the patron acted at the kiosk: fines and holds run from it."""
    barcode: str | None = None
    member_id: int | None = None
    rental_id: int | None = None
    book_id: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    """The request as the REST API takes it (camelCase), written when the patron acted."""
    tried_before: bool = False
    """Sent before, by any process: its answer may have been lost, so the adapter settles it from
    the central side's records first where it can."""


class Central(Protocol):
    """The library system as the kiosk sees it."""

    breakers: Breakers
    """One breaker per dependency (lending, returns, payment, views, catalog)."""
    timeout_s: float
    """The deadline of one call; the saga plans its repeats with it."""
    lends_from_shelf: bool
    """True when any copy on the shelf may be checked out at once (a SIP2 ACS); False when a
    self-rent needs a reservation first, offered with its fee (the REST central API)."""
    answers_in_order: bool
    """True when calls go over one connection that answers one request at a time (SIP2): calls
    made together queue behind each other, so the relay claims in bigger batches; False when
    they run in parallel (REST over HTTP)."""
    sends_stored_checkouts: bool
    """True when a checkout stored offline can be sent later by the agent, without the patron
    (REST: by member id); False for SIP2, whose checkout needs the patron barcode, which the kiosk
    does not keep: ``offline_checkout = "allow"`` then lends nothing offline."""

    async def health(self) -> Result[Health]: ...

    async def member_by_card(self, card_number: str) -> Result[Member]: ...

    async def check_pin(self, card_number: str, pin: SecretStr) -> Result[PinCheck]:
        """Whether ``pin`` is the PIN of the card, as the library system judges it (it counts wrong
        PINs and may lock the card's PIN entry: ``PinCheck.locked_until``; ``tries_left`` when it
        says). Online only, through the lending breaker; the PIN is sent and forgotten, never
        logged nor put in a result."""
        ...

    async def mypage(self, member_id: int) -> Result[MyPage]: ...

    async def book(self, barcode: str) -> Result[Book]: ...

    async def books_since(self, since: datetime | None) -> Result[BookPage]: ...

    async def item_state(self, barcode: str) -> Result[ItemState]: ...

    async def reservation_quote(self, member_id: int, book_id: int) -> Result[ReservationQuote]: ...

    async def renew(self, member_id: int, barcode: str, key: str) -> Result[Rental]:
        """Renew the member's loan of this copy, online only (the lending breaker); the answer's
        ``due_at`` is the new due date. ``key`` makes a repeat after a lost answer harmless where
        the central side honours idempotency keys (REST); SIP2 has none."""
        ...

    async def renew_all(self, member_id: int, keys: Mapping[str, str]) -> dict[str, Result[Rental]]:
        """Renew each of the member's loans named in ``keys`` (barcode → idempotency key), online
        only; one outcome per barcode, so the patron reads what became of each loan and why. REST
        renews one by one; SIP2 sends one renew all (65) and learns each refusal's reason itself."""
        ...

    async def end_patron_session(self, member_id: int) -> Result[None]:
        """The member's visit is over: a central side that keeps a session per patron (SIP2's end
        patron session, 35) closes it, and the adapter forgets what it held of the patron. Best
        effort and bounded by the call's deadline; the caller never waits for it (REST: Ok)."""
        ...

    async def check_in(self, command: Command) -> Result[dict[str, Any]]:
        """Return the copy ``command.barcode``; the answer reads as a ``wire.rest.Rental`` (its
        kept fields), as for every verb below."""
        ...

    async def check_out(self, command: Command) -> Result[dict[str, Any]]:
        """Lend the copy to ``command.member_id`` (a self-rent)."""
        ...

    async def reserve(self, command: Command) -> Result[dict[str, Any]]:
        """Reserve ``command.book_id`` for the member, paying the fee (REST; SIP2 refuses)."""
        ...

    async def cancel(self, command: Command) -> Result[dict[str, Any]]:
        """Cancel the reservation ``command.rental_id``; the central side refunds (REST)."""
        ...

    async def unrent(self, command: Command) -> Result[dict[str, Any]]:
        """Put the kiosk loan ``command.rental_id`` back to the reservation it was made from (REST)."""
        ...

    def use_credentials(self, settings: Settings) -> None:
        """Take the credentials of settings read again from the next call on: the bearer token
        (REST) or the login (SIP2), after a technician replaced one that was refused."""
        ...

    async def aclose(self) -> None: ...
