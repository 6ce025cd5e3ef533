"""The SIP2 adapter of the central port (:class:`sync_agent.central.port.Central`): a SIP 2.00 ACS.

Each operation is one or a few SIP2 messages on the process's one connection
(:mod:`sync_agent.central.sip2.connection`), through the same breakers as the REST client, and its answer
is translated into the wire contract's models, so nothing above the port can tell the adapters
apart:

- ``member_by_card``: patron information 63/64 (name AE, the patron-status flags and BL/CQ as
  blocks and the AF as the library's words, :mod:`sync_agent.central.sip2.patron`, loan limit CB, fees
  BV); ``mypage``: 63 for holds (AS) and for loans (AU), then item
  information 17/18 of each (title AJ, due date AH, hold pickup date CM);
- ``check_pin``: patron information 63 with the patron password (AD); the 64's CQ (valid patron
  password, Y or N) is the answer. SIP2 says nothing of tries left or locks: the ACS counts wrong
  PINs itself if it does (Koha's ``FailedLoginAttempts``), and the patron reads "wrong PIN" and the
  library's own words (AF); a 64 without CQ did not check the PIN and is in doubt, never a yes;
- ``book`` and ``item_state``: item information 17/18 (circulation status);
- ``deliver``: a return is checkin 09/10 (return date = when the patron dropped the book,
  no-block Y once it was stored offline); a rent is checkout 11/12 with renewal policy N, which
  Evergreen honours but Koha ignores (it renews a copy already out to the patron: answered as a
  renewal, ``Rental.renewals`` 1, with the title AJ as ``Ok.title``), so a checkout whose answer
  was lost is never simply sent again (below); reservations and cancels are not
  SIP2 self-check messages and are refused (``not_supported``);
- ``renew`` is renew 29/30; ``renew_all`` is one renew all 65/66, whose unrenewed items get a
  reason learnt from 17 and the last 64 (:mod:`sync_agent.central.sip2.renew_all`), or one 29 per loan
  where the ACS does not list renew all among its supported messages (BX in 98);
- ``end_patron_session``: end patron session 35/36 when a visit ends, for a patron this process
  sent 63, 11, 29 or 65 for (unless the ACS's BX says it has no such message); then the patron's
  barcode is forgotten;
- ``health``: SC status 99/98.

Every answer is checked against its request (:mod:`sync_agent.central.sip2.answers`): one naming another
item, patron or institution is in doubt (``MISMATCHED``), never done.

SIP2 has no idempotency key. A checkout or checkin whose answer was lost is not simply sent again:
the item's state (17) is asked first and settles it (not charged after a checkin: it was applied;
after a checkout, charged *to this patron*, which the patron's 64 with its charged items tells;
else it is sent again). Refusals (ok=0) carry the library's own words
(AF screen message, AG print line) in ``Refused.message``; the code is read from them
(:func:`refusal_code`).

Ids: SIP2 knows patrons and copies by barcode only. A copy's id is its barcode behind a leading 1.
A patron's id is opaque (``docs/privacy.md``: no card number in clear on the kiosk): a keyed hash
of the barcode under ``member_key`` (the app passes the kiosk's card-lookup key, so a patron keeps
one id across restarts; without one, a key for this process). The barcode behind an id is kept in
this process's memory only, for the messages that need it while the patron is at the kiosk (63,
11, 29). A checkout therefore cannot be stored and sent later by the agent
(``sends_stored_checkouts`` is False): over SIP2 the kiosk does not lend offline.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from sync_agent.central.breakers import Breakers, through
from sync_agent.central.port import DEPENDENCY_OF, Command, Verb
from sync_agent.central.results import Busy, DoubtReason, InDoubt, NotFound, Ok, Refused, Result
from sync_agent.central.sip2.answers import doubt, number
from sync_agent.central.sip2.connection import Login, Sip2Connection
from sync_agent.central.sip2.patron import blocks_of, member_of
from sync_agent.central.sip2.renew_all import renewal_lists, why_not_renewed
from sync_agent.settings import Settings
from sync_agent.wire.rest import (
    STOPS_RENEWING,
    Book,
    BookPage,
    BookStatus,
    Circulation,
    Health,
    ItemState,
    Member,
    MyPage,
    MyPageEntry,
    PinCheck,
    Rental,
    RentalStatus,
    ReservationQuote,
    ServiceState,
)
from sync_agent.wire.sip2 import Dialect, Frame, terminator_bytes

log = logging.getLogger(__name__)

OFFLINE_AFTER_S = 60.0
"""A return delivered this long after the patron dropped the book was stored offline: it goes
with no-block Y (the ACS must accept it, as the kiosk already did)."""

CIRCULATION = {"04": Circulation.ON_LOAN, "05": Circulation.ON_LOAN, "06": Circulation.ON_LOAN,
               "08": Circulation.ON_HOLD, "12": Circulation.WITHDRAWN, "13": Circulation.WITHDRAWN,
               "11": Circulation.WITHDRAWN}
BOOK_STATUS = {Circulation.ON_LOAN: BookStatus.RENTED, Circulation.ON_HOLD: BookStatus.RESERVED,
               Circulation.WITHDRAWN: BookStatus.WITHDRAWN, Circulation.ON_SHELF: BookStatus.AVAILABLE}
_WORDS = (
    (("hold", "reserved", "recall"), "reserved_for_other"),
    (("renewal limit", "renewals", "max renew", "too many renew"), "renewal_limit"),
    (("overdue",), "overdue"),
    (("limit", "too many", "maximum"), "limit_reached"),
    (("fine", "debt", "owe", "fee"), "member_blocked"),  # the library's words name money
    (("block", "barred", "expired", "card reported lost"), "card_blocked"),  # they do not
    (("not checked out", "not on loan", "not charged"), "not_rented"),
    (("lost", "missing", "withdrawn", "damaged"), "book_withdrawn"),
    (("not available", "in transit", "unavailable"), "book_unavailable"),
)


UNKNOWN_PATRON = "the patron's barcode is known only while the patron is at the kiosk"
CHARGED_ITEMS = "  Y" + " " * 7
"""The summary field of a 63 that asks for the patron's charged items (AU)."""
END_SESSION, RENEW_ALL = 8, 15
"""Positions of end patron session and renew all in the ACS's supported messages (BX of 98)."""


def refusal_code(words: str) -> str:
    """The kiosk's refusal code for an ACS's AF/AG text (``refused`` when nothing matches)."""
    lowered = words.lower()
    return next((code for keys, code in _WORDS if any(key in lowered for key in keys)), "refused")


def member_id_of(card: str, key: bytes) -> int:
    """The opaque member id of a patron barcode: 48 bits of its HMAC-SHA256 under ``key``."""
    digest = hmac.new(key, b"sip2-patron:" + card.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:6], "big") or 1


def book_id_of(barcode: str) -> int:
    return int("1" + barcode) if barcode.isdigit() else zlib.crc32(barcode.encode())


def _words(frame: Frame) -> str:
    return " / ".join(part for part in frame.all("AF") + frame.all("AG") if part)


class Sip2Client:
    """Async SIP2 client with one breaker per dependency, as :class:`CentralClient` has."""

    lends_from_shelf = True  # a self-check ACS checks out any copy the patron may borrow
    answers_in_order = True  # one connection, one request at a time
    sends_stored_checkouts = False  # 11 needs the patron barcode, which is not kept (see above)

    def __init__(self, settings: Settings, *, owner: str = "app",
                 member_key: bytes | None = None) -> None:
        self.settings = settings
        self.timeout_s = settings.call_timeout_s(owner)  # the agent's own, as over REST
        self.breakers = Breakers(settings)
        self.dialect = Dialect(settings.sip2_encoding, terminator_bytes(settings.sip2_terminator),
                               settings.sip2_checksums, ZoneInfo(settings.sip2_timezone))
        self.connection = Sip2Connection(Login.of(settings), self.dialect, self.timeout_s)
        self._member_key = member_key or secrets.token_bytes(32)
        self._cards: dict[int, str] = {}
        """Opaque member id → patron barcode, for the patrons this process has seen (memory only)."""
        self._doubted: set[str] = set()
        """Keys of entries whose last answer was lost in this process: settled by 17 first."""
        self._opened: set[str] = set()
        """Patron barcodes the ACS may hold a session for (63, 11, 29 or 65 sent): ended by 35."""
        self._blocked: set[str] = set()
        """Patron barcodes whose last 64 said they may not renew: why renew all did not renew."""
        self._charged: dict[str, set[str]] = {}
        """Patron barcode → the copies charged to them, as their last 64 asked for them (AU) listed:
        a checkout of one of those is never sent, for the ACS would renew it (memory only)."""

    async def __aenter__(self) -> Sip2Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.connection.aclose()

    def use_credentials(self, settings: Settings) -> None:
        """Log in as ``settings`` say from the next connection on (a refused login was fixed)."""
        self.connection.login = Login.of(settings)

    def supports(self, position: int) -> bool:
        """Whether the ACS lists the message at ``position`` of BX as supported (yes if unknown)."""
        status = self.connection.status
        supported = status.get("BX") if status is not None else ""
        return len(supported) <= position or supported[position] == "Y"

    def patron_id(self, card: str) -> int:
        """The opaque id of a patron barcode, remembered (in memory) for the messages that need it."""
        member_id = member_id_of(card, self._member_key)
        self._cards[member_id] = card
        return member_id

    # -- reads -------------------------------------------------------------------------------

    async def health(self) -> Result[Health]:
        answer = await self.connection.ask(Sip2Connection.sc_status())
        if not isinstance(answer, Frame):
            return answer
        online = answer.flag(0) == "Y"
        state = {True: ServiceState.UP, False: ServiceState.DOWN}
        services = {"rental": state[online and answer.flag(2) == "Y"],
                    "book": state[online], "payment": state[online]}
        return Ok(Health(status="ok" if all(s is ServiceState.UP for s in services.values())
                         else "degraded", services=services))

    async def member_by_card(self, card_number: str) -> Result[Member]:
        if not card_number.isdigit():
            return NotFound("SIP2 patron barcodes must be digits here")
        return await through(self.breakers, "lending", lambda: self._member(card_number))

    async def _member(self, card: str) -> Result[Member]:
        answer = await self._patron(card, " " * 10)
        if not isinstance(answer, Frame):
            return answer
        return Ok(member_of(answer, self.patron_id(card), card))

    async def check_pin(self, card_number: str, pin: SecretStr) -> Result[PinCheck]:
        if not card_number.isdigit():
            return NotFound("SIP2 patron barcodes must be digits here")
        return await through(self.breakers, "lending", lambda: self._check_pin(card_number, pin))

    async def _check_pin(self, card: str, pin: SecretStr) -> Result[PinCheck]:
        answer = await self._patron(card, " " * 10, pin)
        if not isinstance(answer, Frame):
            return answer
        valid = answer.get("CQ")
        if valid not in ("Y", "N"):
            return InDoubt(self.connection.service, DoubtReason.MALFORMED,
                           "the 64 has no valid patron password (CQ): the PIN was not checked")
        return Ok(PinCheck(valid=valid == "Y"))

    async def mypage(self, member_id: int) -> Result[MyPage]:
        card = self._cards.get(member_id)
        if card is None:
            return NotFound(UNKNOWN_PATRON)
        return await through(self.breakers, "views", lambda: self._mypage(member_id, card))

    async def _mypage(self, member_id: int, card: str) -> Result[MyPage]:
        holds = await self._patron(card, "Y" + " " * 9)
        if not isinstance(holds, Frame):
            return holds
        loans = await self._patron(card, CHARGED_ITEMS)
        if not isinstance(loans, Frame):
            return loans
        reservations, lent = [], []
        for barcode in holds.all("AS"):
            item = await self._item(barcode)
            if not isinstance(item, Frame):
                return item
            reservations.append(self._entry(item, barcode, RentalStatus.RESERVED))
        for barcode in loans.all("AU"):
            item = await self._item(barcode)
            if not isinstance(item, Frame):
                return item
            lent.append(self._entry(item, barcode, RentalStatus.RENTED))
        return Ok(MyPage(member_id=member_id, name=loans.get("AE"),
                         fines=max(number(loans.get("BV")), 0), reservations=reservations, loans=lent,
                         as_of=datetime.now(UTC)))

    def _entry(self, item: Frame, barcode: str, status: RentalStatus) -> MyPageEntry:
        due = self.dialect.parse_date(item.get("AH")) if status is RentalStatus.RENTED else None
        hold_until = self.dialect.parse_date(item.get("CM")) if status is RentalStatus.RESERVED else None
        return MyPageEntry(rental_id=book_id_of(barcode), book_id=book_id_of(barcode), barcode=barcode,
                           title=item.get("AJ") or barcode, status=status, due_at=due,
                           hold_until=hold_until, overdue=bool(due and due < datetime.now(UTC)))

    async def book(self, barcode: str) -> Result[Book]:
        state = await self.item_state(barcode)
        if not isinstance(state, Ok):
            return state
        item = state.value
        return Ok(Book(id=book_id_of(barcode), barcode=barcode, isbn="", title=item.title, author="",
                       status=BOOK_STATUS[item.circulation], updated_at=datetime.now(UTC)))

    async def books_since(self, since: datetime | None) -> Result[BookPage]:
        """SIP2 has no catalog feed: the kiosk learns titles from the items it is shown."""
        return Ok(BookPage(books=[], server_time=datetime.now(UTC)))

    async def item_state(self, barcode: str) -> Result[ItemState]:
        return await through(self.breakers, "returns", lambda: self._item_state(barcode))

    async def _item_state(self, barcode: str) -> Result[ItemState]:
        answer = await self._item(barcode)
        if not isinstance(answer, Frame):
            return answer
        if not answer.get("AJ") and answer.flag(0, 2) == "01":
            return NotFound(_words(answer) or "item not found")
        circulation = CIRCULATION.get(answer.flag(0, 2), Circulation.ON_SHELF)
        due = self.dialect.parse_date(answer.get("AH")) if circulation is Circulation.ON_LOAN else None
        return Ok(ItemState(barcode=barcode, title=answer.get("AJ") or barcode,
                            circulation=circulation, due_at=due))

    async def reservation_quote(self, member_id: int, book_id: int) -> Result[ReservationQuote]:
        return Refused("not_supported", "reservations are made at the desk or in the catalogue")

    # -- commands ----------------------------------------------------------------------------

    async def check_in(self, command: Command) -> Result[dict[str, Any]]:
        return await self._send(Verb.CHECK_IN, command)

    async def check_out(self, command: Command) -> Result[dict[str, Any]]:
        return await self._send(Verb.CHECK_OUT, command)

    async def reserve(self, command: Command) -> Result[dict[str, Any]]:
        return self._not_self_check(Verb.RESERVE)

    async def cancel(self, command: Command) -> Result[dict[str, Any]]:
        return self._not_self_check(Verb.CANCEL)

    async def unrent(self, command: Command) -> Result[dict[str, Any]]:
        return self._not_self_check(Verb.UNRENT)

    @staticmethod
    def _not_self_check(verb: Verb) -> Refused:
        return Refused("not_supported", f"a {verb} is not a SIP2 self-check message")

    async def _send(self, verb: Verb, command: Command) -> Result[dict[str, Any]]:
        result = await through(self.breakers, DEPENDENCY_OF[verb], lambda: self._deliver(verb, command))
        if isinstance(result, InDoubt):
            self._doubted.add(command.key)
        elif not isinstance(result, Busy):
            self._doubted.discard(command.key)
        return result

    async def _deliver(self, verb: Verb, command: Command) -> Result[dict[str, Any]]:
        barcode = command.barcode or ""
        if command.key in self._doubted or command.tried_before:
            settled = await self._settled(verb, command, barcode)
            if settled is not None:
                return settled
        if verb is Verb.CHECK_IN:
            return await self._checkin(command, barcode)
        return await self._checkout(command, barcode)

    async def _settled(self, verb: Verb, command: Command, barcode: str) -> Result[dict[str, Any]] | None:
        """Before sending again: the item's state says whether the lost message was applied."""
        answer = await self._item(barcode)
        if not isinstance(answer, Frame):
            return answer
        charged = answer.flag(0, 2) in ("04", "05", "06")
        if verb is Verb.CHECK_IN and not charged:
            log.info("return of item %s: not on loan any more; taken as applied", barcode)
            return Ok(self._rental(command, RentalStatus.RETURNED, returned_at=command.occurred_at),
                      replayed=True)
        if verb is Verb.CHECK_OUT and charged:
            return await self._charged_to_patron(command, barcode, answer)
        return None

    async def _charged_to_patron(self, command: Command, barcode: str,
                                 item: Frame) -> Result[dict[str, Any]] | None:
        """A charged copy settles a loan in doubt only when it is charged to this patron: among
        the charged items (AU) of the patron's 64, asked with the charged-items summary. Charged
        to another patron, the lost checkout was not applied (None: it is sent again, and the ACS
        says why not). Without the patron's barcode (the agent, after the visit) nobody can tell
        whose loan it is: in doubt, for the technician once repeated."""
        card = self._cards.get(command.member_id or 0)
        if card is None:
            return InDoubt(self.connection.service, DoubtReason.MISMATCHED,
                           f"item {barcode} is charged, to a patron the kiosk cannot ask about "
                           f"({UNKNOWN_PATRON})")
        loans = await self._patron(card, CHARGED_ITEMS)
        if isinstance(loans, NotFound):
            return InDoubt(self.connection.service, DoubtReason.MALFORMED, loans.message)
        if not isinstance(loans, Frame):
            return loans
        if barcode not in loans.all("AU"):
            log.info("loan of item %s: charged, but not to this patron; not applied", barcode)
            return None
        log.info("loan of item %s: charged to this patron already; taken as applied", barcode)
        return Ok(self._rental(command, RentalStatus.RENTED, due_at=self.dialect.parse_date(item.get("AH"))),
                  replayed=True, title=item.get("AJ"))

    async def _checkin(self, command: Command, barcode: str) -> Result[dict[str, Any]]:
        now = datetime.now(UTC)
        stored_offline = command.tried_before or (now - command.occurred_at).total_seconds() > OFFLINE_AFTER_S
        fixed = ("Y" if stored_offline else "N") + self.dialect.date(now) + self.dialect.date(command.occurred_at)
        answer = await self._exchange(Frame("09", fixed, (
            ("AP", self.settings.sip2_location), ("AO", self.settings.sip2_institution),
            ("AB", barcode), ("AC", self.settings.sip2_terminal_password.get_secret_value()))))
        if not isinstance(answer, Frame):
            return answer
        if answer.flag(0) != "1":
            return self._refused(answer)
        for charged in self._charged.values():  # back on the shelf: a patron may borrow it again
            charged.discard(barcode)
        return Ok(self._rental(command, RentalStatus.RETURNED, returned_at=command.occurred_at,
                               fine=max(number(answer.get("BV")), 0)))

    async def _checkout(self, command: Command, barcode: str) -> Result[dict[str, Any]]:
        card = self._cards.get(command.member_id or 0)
        if card is None:  # e.g. the agent after the patron left: the barcode was never stored
            return Refused("not_supported", UNKNOWN_PATRON)
        if barcode in self._charged.get(card, ()):
            return Refused("already_yours", "the patron's last 64 lists this copy among their charged "
                           "items (AU): a checkout would renew it at Koha and Evergreen; nothing was sent")
        self._opened.add(card)
        now = datetime.now(UTC)
        fixed = "N" + "N" + self.dialect.date(now) + " " * 18  # renewal policy N, no-block N
        answer = await self._exchange(Frame("11", fixed, (
            ("AO", self.settings.sip2_institution), ("AA", card),
            ("AB", barcode), ("AC", self.settings.sip2_terminal_password.get_secret_value()),
            ("BO", "N"), ("BI", "N"))))
        if not isinstance(answer, Frame):
            return answer
        if answer.flag(0) != "1":
            return self._refused(answer)
        due = self.dialect.parse_date(answer.get("AH"))
        if due is None:
            return InDoubt(self.connection.service, DoubtReason.MALFORMED,
                           "checkout answered ok without a readable due date (12: AH)")
        renewed = answer.flag(1) == "Y"
        if renewed:  # Koha and Evergreen renew a copy already out to the patron, policy N or not
            log.warning("checkout of item %s was a renewal at the ACS: %s", barcode, _words(answer))
        return Ok(self._rental(command, RentalStatus.RENTED, rented_at=command.occurred_at, due_at=due,
                               renewals=int(renewed)), title=answer.get("AJ"))

    async def renew(self, member_id: int, barcode: str, key: str) -> Result[Rental]:
        """Renew 29/30. SIP2 has no idempotency key: a renewal whose answer was lost is not sent
        again by the kiosk (a second one would use up another renewal)."""
        card = self._cards.get(member_id)
        if card is None:
            return NotFound(UNKNOWN_PATRON)
        return await through(self.breakers, "lending", lambda: self._renew(member_id, card, barcode))

    async def _renew(self, member_id: int, card: str, barcode: str) -> Result[Rental]:
        self._opened.add(card)
        fixed = "N" + "N" + self.dialect.date(datetime.now(UTC)) + " " * 18  # no third party, no-block N
        answer = await self._exchange(Frame("29", fixed, (
            ("AO", self.settings.sip2_institution), ("AA", card), ("AB", barcode),
            ("AC", self.settings.sip2_terminal_password.get_secret_value()), ("BO", "N"))))
        if not isinstance(answer, Frame):
            return answer
        if answer.flag(0) != "1":
            refused = self._refused(answer)
            if card in self._blocked and isinstance(refused, Refused):  # the 64 said why, not the 30
                return Refused("renewal_denied", refused.message, said=refused.said)
            return refused
        return Ok(self._loan(member_id, barcode, self.dialect.parse_date(answer.get("AH"))))

    async def renew_all(self, member_id: int, keys: Mapping[str, str]) -> dict[str, Result[Rental]]:
        """One renew all (65) for the loans in ``keys``; an ACS without 65 in its BX gets one
        renew (29) per loan. No answer to the 65 is every loan's outcome (Busy or InDoubt)."""
        card = self._cards.get(member_id)
        if card is None:
            return dict.fromkeys(keys, NotFound(UNKNOWN_PATRON))
        if not self.supports(RENEW_ALL):
            return {barcode: await self.renew(member_id, barcode, key) for barcode, key in keys.items()}
        answer = await through(self.breakers, "lending", lambda: self._renew_all(member_id, card, list(keys)))
        return answer.value if isinstance(answer, Ok) else dict.fromkeys(keys, answer)

    async def _renew_all(self, member_id: int, card: str,
                         barcodes: list[str]) -> Result[dict[str, Result[Rental]]]:
        self._opened.add(card)
        answer = await self._exchange(Frame("65", self.dialect.date(datetime.now(UTC)), (
            ("AO", self.settings.sip2_institution), ("AA", card),
            ("AC", self.settings.sip2_terminal_password.get_secret_value()), ("BO", "N"))))
        if not isinstance(answer, Frame):
            return answer
        said = " / ".join(part for part in answer.all("AF") if part)
        if answer.flag(0) != "1":  # the patron may not renew at all ("Renewals not allowed.")
            return Ok(dict.fromkeys(barcodes, why_not_renewed(
                None, blocked=card in self._blocked, said=said, dialect=self.dialect, now=datetime.now(UTC))))
        renewed, unrenewed = renewal_lists(answer)
        outcome: dict[str, Result[Rental]] = {}
        for barcode in barcodes:
            item = await self._item(barcode) if barcode in renewed | unrenewed else None
            frame = item if isinstance(item, Frame) else None
            if barcode in renewed:
                due = self.dialect.parse_date(frame.get("AH")) if frame is not None else None
                outcome[barcode] = Ok(self._loan(member_id, barcode, due))
            elif barcode in unrenewed:
                outcome[barcode] = why_not_renewed(frame, blocked=card in self._blocked, said=said,
                                                   dialect=self.dialect, now=datetime.now(UTC))
            else:
                outcome[barcode] = NotFound("the ACS's renew all (66) did not list this item")
        return Ok(outcome)

    async def end_patron_session(self, member_id: int) -> Result[None]:
        """End patron session (35) if this process opened one for the patron, then forget the
        patron's barcode either way (it is kept only while the patron is at the kiosk)."""
        card = self._cards.pop(member_id, None)
        if card is None or card not in self._opened:
            return Ok(None)
        self._opened.discard(card)
        self._blocked.discard(card)
        self._charged.pop(card, None)
        if not self.supports(END_SESSION):
            return Ok(None)
        return await through(self.breakers, "lending", lambda: self._end_session(card))

    async def _end_session(self, card: str) -> Result[None]:
        answer = await self._exchange(Frame("35", self.dialect.date(datetime.now(UTC)), (
            ("AO", self.settings.sip2_institution), ("AA", card),
            ("AC", self.settings.sip2_terminal_password.get_secret_value()))))
        if not isinstance(answer, Frame):
            return answer
        if answer.flag(0) != "Y":
            log.info("the ACS did not confirm the end of a patron session: %s", _words(answer))
        return Ok(None)

    # -- plumbing ----------------------------------------------------------------------------

    async def _exchange(self, request: Frame) -> Frame | Busy | InDoubt:
        """Ask ``request``; an answer naming another item, patron or institution, or one whose
        outcome cannot be read, is in doubt."""
        answer = await self.connection.ask(request)
        if not isinstance(answer, Frame):
            return answer
        return doubt(self.connection.service, request, answer) or answer

    async def _patron(self, card: str, summary: str,
                      pin: SecretStr | None = None) -> Frame | NotFound | Busy | InDoubt:
        """A 63 about ``card``; with ``pin``, also its patron password (AD), so the 64 says CQ.
        A PIN check keeps nothing of the patron: one who then cancels, or whose PIN was wrong,
        leaves no barcode in this process (the patron is remembered from the 63 that follows a
        right PIN)."""
        if pin is None:
            self._opened.add(card)
        password = (("AD", pin.get_secret_value()),) if pin is not None else ()
        answer = await self._exchange(Frame("63", "000" + self.dialect.date(datetime.now(UTC)) + summary, (
            ("AO", self.settings.sip2_institution), ("AA", card),
            ("AC", self.settings.sip2_terminal_password.get_secret_value()), *password)))
        if isinstance(answer, Frame) and not answer.get("AE"):
            return NotFound(_words(answer) or "patron not known to the library system")
        if isinstance(answer, Frame) and pin is None:
            stopped = any(code in STOPS_RENEWING for code in blocks_of(answer))
            (self._blocked.add if stopped else self._blocked.discard)(card)
            if summary == CHARGED_ITEMS:
                self._charged[card] = set(answer.all("AU"))
        return answer

    async def _item(self, barcode: str) -> Frame | Busy | InDoubt:
        return await self._exchange(Frame("17", self.dialect.date(datetime.now(UTC)), (
            ("AO", self.settings.sip2_institution), ("AB", barcode),
            ("AC", self.settings.sip2_terminal_password.get_secret_value()))))

    def _refused(self, answer: Frame) -> Refused | NotFound:
        words = _words(answer)
        if "not found" in words.lower() or "invalid item" in words.lower() or "invalid patron" in words.lower():
            return NotFound(words)
        said = " / ".join(part for part in answer.all("AF") if part)
        return Refused(refusal_code(words), words, said=said)

    def _loan(self, member_id: int, barcode: str, due: datetime | None) -> Rental:
        """A renewed loan as the port answers it (due None if the ACS did not say)."""
        return Rental(id=book_id_of(barcode), member_id=member_id, book_id=book_id_of(barcode),
                      barcode=barcode, status=RentalStatus.RENTED, due_at=due, kiosk_no=self.settings.id)

    def _rental(self, command: Command, status: RentalStatus, **when: Any) -> dict[str, Any]:
        barcode = command.barcode or ""
        rental = Rental(id=book_id_of(barcode), member_id=command.member_id or 0,
                        book_id=book_id_of(barcode), barcode=barcode, status=status,
                        kiosk_no=self.settings.id, **when)
        return rental.model_dump(mode="json", by_alias=True)

