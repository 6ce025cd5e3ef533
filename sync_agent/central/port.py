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
from datetime import datetime
from typing import Any, Protocol

from pydantic import SecretStr

from sync_agent.central.breakers import Breakers
from sync_agent.central.results import Result
from sync_agent.store.outbox import Kind, OutboxEntry
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

DEPENDENCY_OF_KIND = {Kind.RETURN: "returns", Kind.RENT: "lending", Kind.CANCEL: "lending",
                      Kind.RESERVE: "payment", Kind.UNRENT: "returns"}
"""The breaker an outbox entry's delivery goes through, whichever adapter sends it. An undo of a
loan (``unrent``) goes where returns go: the rental service alone, not the book management whose
slowness may have kept the loan's answer from the patron and opened the lending breaker."""


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

    async def deliver(self, entry: OutboxEntry) -> Result[dict[str, Any]]:
        """Apply one outbox entry (return, rent, reserve, cancel); the answer reads as a
        ``contract.Rental``. Sent again after an in-doubt answer, it must not act twice."""
        ...

    async def aclose(self) -> None: ...
