"""The central port in memory, for use-case tests that need no stand-in and no socket.

As httpx's ``MockTransport`` stands in for a transport, :class:`FakeCentral` stands in for
``sync_agent.central.port.Central``: every operation is answered by a script the test gives, per
operation name, and recorded in :attr:`FakeCentral.calls`. A script is a list of answers taken in
turn (the last one repeats), each a result or a function of the call's arguments that gives one,
or one such function for every call. An operation without a script
answers ``NotFound`` (a state change: ``Refused("not_scripted")``), so a test says what the
central side does and nothing more. Answers pass through the same breakers as the real adapters',
by the same dependencies, so a ``Busy`` or ``InDoubt`` counts against them as it would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from sync_agent.central.breakers import Breakers, through
from sync_agent.central.port import DEPENDENCY_OF, Command, Verb
from sync_agent.central.results import NotFound, Ok, Refused, Result
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

Script = list[Any] | Callable[..., Any]

DEPENDENCY = {"member_by_card": "lending", "check_pin": "lending", "renew": "lending", "mypage": "views",
              "book": "catalog", "books_since": "catalog", "item_state": "returns",
              "reservation_quote": "payment", **{verb.name.lower(): DEPENDENCY_OF[verb] for verb in Verb}}
"""Each operation's breaker, as the REST adapter calls it."""
STATE_CHANGES = frozenset(verb.name.lower() for verb in Verb)
"""The port's verbs: unscripted, they are refused rather than not found."""


@dataclass(frozen=True)
class Call:
    operation: str
    args: tuple[Any, ...]


class FakeCentral:
    """A scripted ``Central``: ``FakeCentral(member_by_card=[Ok(member)], check_out=[InDoubt(...), Ok(...)])``."""

    lends_from_shelf = False
    answers_in_order = False
    sends_stored_checkouts = True

    def __init__(self, settings: Settings | None = None, *, timeout_s: float = 0.61, **scripts: Script) -> None:
        self.settings = settings or Settings()
        self.breakers = Breakers(self.settings)
        self.timeout_s = timeout_s
        unknown = set(scripts) - set(DEPENDENCY) - {"health", "end_patron_session"}
        if unknown:
            raise TypeError(f"not operations of the central port: {sorted(unknown)}")
        self.scripts: dict[str, Script] = dict(scripts)
        self.calls: list[Call] = []
        self.credentials: list[Settings] = []
        self.closed = False

    def called(self, operation: str) -> list[tuple[Any, ...]]:
        """The arguments of each call of ``operation`` so far, in order."""
        return [call.args for call in self.calls if call.operation == operation]

    def _answer(self, operation: str, *args: Any) -> Any:
        self.calls.append(Call(operation, args))
        script = self.scripts.get(operation)
        if script is None:
            return Refused("not_scripted", operation) if operation in STATE_CHANGES else NotFound(operation)
        answer = script if callable(script) else script.pop(0) if len(script) > 1 else script[0]
        return answer(*args) if callable(answer) else answer

    async def _through(self, operation: str, *args: Any) -> Result[Any]:
        async def ask() -> Result[Any]:
            return self._answer(operation, *args)
        return await through(self.breakers, DEPENDENCY[operation], ask)

    async def health(self) -> Result[Health]:
        return self._answer("health") if "health" in self.scripts else Ok(
            Health(status="ok", services={"rental": "up", "payment": "up", "book": "up"}))

    async def member_by_card(self, card_number: str) -> Result[Member]:
        return await self._through("member_by_card", card_number)

    async def check_pin(self, card_number: str, pin: SecretStr) -> Result[PinCheck]:
        return await self._through("check_pin", card_number, pin)

    async def mypage(self, member_id: int) -> Result[MyPage]:
        return await self._through("mypage", member_id)

    async def book(self, barcode: str) -> Result[Book]:
        return await self._through("book", barcode)

    async def books_since(self, since: datetime | None) -> Result[BookPage]:
        return await self._through("books_since", since)

    async def item_state(self, barcode: str) -> Result[ItemState]:
        return await self._through("item_state", barcode)

    async def reservation_quote(self, member_id: int, book_id: int) -> Result[ReservationQuote]:
        return await self._through("reservation_quote", member_id, book_id)

    async def renew(self, member_id: int, barcode: str, key: str) -> Result[Rental]:
        return await self._through("renew", member_id, barcode, key)

    async def renew_all(self, member_id: int, keys: Mapping[str, str]) -> dict[str, Result[Rental]]:
        return {barcode: await self.renew(member_id, barcode, key) for barcode, key in keys.items()}

    async def end_patron_session(self, member_id: int) -> Result[None]:
        self.calls.append(Call("end_patron_session", (member_id,)))
        return Ok(None)

    async def check_in(self, command: Command) -> Result[dict[str, Any]]:
        return await self._through("check_in", command)

    async def check_out(self, command: Command) -> Result[dict[str, Any]]:
        return await self._through("check_out", command)

    async def reserve(self, command: Command) -> Result[dict[str, Any]]:
        return await self._through("reserve", command)

    async def cancel(self, command: Command) -> Result[dict[str, Any]]:
        return await self._through("cancel", command)

    async def unrent(self, command: Command) -> Result[dict[str, Any]]:
        return await self._through("unrent", command)

    def use_credentials(self, settings: Settings) -> None:
        self.credentials.append(settings)

    async def aclose(self) -> None:
        self.closed = True
