"""The lending saga in one place: the intent ledger and its rules.

A borrow or a reservation is an *intent*: an outbox entry (kind ``rent`` or ``reserve``) written
before its first call and claimed by the app (:meth:`Intents.begin_rent`,
:meth:`Intents.begin_reserve`), asked under its idempotency key while the patron waits, and settled
by what the patron was then told (``Told``, the entry's ``told`` column: ``docs/architecture.md``,
"The lending saga"). This module holds what is particular to intents:

- the ledger (:class:`Intents`): begin, the open intent a new scan asks again
  (:meth:`~Intents.open_intent`), the outcomes a visit has not yet told its patron
  (:meth:`~Intents.unreported_intents`), the compensation of an intent
  (:meth:`~Intents.compensation_of`);
- the rules: what undoes an applied intent the patron was told did not happen
  (:func:`compensation_for`), and what a final answer means for any entry, given what its patron
  was told (:func:`settlement`).

The queue's own verbs (append, claim, settle, release, recover, due, prune) and the rows
themselves are :mod:`sync_agent.store.outbox`'s, the one writer of the ``outbox`` table; the app
asks (``kiosk_app.lending``) and the relay sends (:mod:`sync_agent.agent.relay`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sync_agent.central.results import NotFound, Ok, Refused
from sync_agent.store.outbox import (
    UNDONE_IF_APPLIED,
    Kind,
    NewEntry,
    Outbox,
    OutboxEntry,
    Settlement,
    Status,
    Told,
    patch_body,
    return_body,
)
from sync_agent.wire.rest import KioskRent, ReqState, ReserveRequest

log = logging.getLogger(__name__)

ALREADY_UNDONE = ("not_reserved", "not_rented")
"""A compensation refused with these finds nothing left to undo: the hold expired (and was
refunded), or the loan was returned some other way. Likewise a return answered ``not_rented``:
the copy is not on loan (returned at the desk, or never lent), so there is nothing to return and
nothing for a technician; the book itself is on the kiosk's shelf."""


class Intents:
    """The intents of one kiosk's outbox."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def begin_rent(self, member_id: int, barcode: str, occurred_at: datetime, *, visit: str,
                   owner: str, lease_s: float) -> OutboxEntry | None:
        """Record a self-rent intent before its first call, already claimed by ``owner`` (the app
        asking while the patron waits); durable when this returns. None, and nothing written, if
        the book still has unsettled entries: they go to the central side first."""
        body = KioskRent(member_id=member_id, barcode=barcode, kiosk_no=self.outbox.kiosk_id,
                         occurred_at=occurred_at).model_dump(mode="json", by_alias=True)
        return self.outbox.append(NewEntry(Kind.RENT, body, occurred_at, barcode, member_id),
                                  told=Told.ASKING, visit=visit, claim=(owner, lease_s), behind=False)

    def begin_reserve(self, member_id: int, book_id: int, barcode: str, occurred_at: datetime, *,
                      visit: str, owner: str, lease_s: float) -> OutboxEntry | None:
        """Record a reserve-and-pay intent before its first call, claimed by ``owner``; None as
        for :meth:`begin_rent`."""
        body = ReserveRequest(member_id=member_id, book_id=book_id, kiosk_no=self.outbox.kiosk_id,
                              occurred_at=occurred_at).model_dump(mode="json", by_alias=True)
        return self.outbox.append(NewEntry(Kind.RESERVE, body, occurred_at, barcode, member_id),
                                  told=Told.ASKING, visit=visit, book_id=book_id, claim=(owner, lease_s),
                                  behind=False)

    def open_intent(self, kind: Kind, member_id: int, barcode: str, visit: str) -> OutboxEntry | None:
        """This visit's intent for the same copy that the patron was told could not be confirmed
        and that nobody has settled yet: a new try asks it again under its own key."""
        found = self.outbox.select("kind = ? AND member_id = ? AND barcode = ? AND visit = ? AND told = ? "
                                   "AND status = 'pending'",
                                   (kind.value, member_id, barcode, visit, Told.UNDO.value))
        return found[-1] if found else None

    def unreported_intents(self, member_id: int) -> list[OutboxEntry]:
        """Intents of this member that a visit left unconfirmed, or borrows saved offline that were
        refused, whose outcome has not been shown to the patron yet, oldest first."""
        return self.outbox.select(
            "member_id = ? AND reported_at IS NULL AND ((kind IN ('rent', 'reserve') AND told IN "
            "('asking', 'undo')) OR (kind = 'rent' AND told = 'queued' AND status = 'dead'))",
            (member_id,))

    def compensation_of(self, entry_id: int) -> OutboxEntry | None:
        found = self.outbox.select("compensates = ?", (entry_id,))
        return found[0] if found else None


def compensation_for(entry: OutboxEntry, answer: dict[str, Any], kiosk_id: str, *,
                     lent_from_hold: bool) -> NewEntry:
    """What undoes an intent the central side applied although the patron was not told so: a
    reservation is cancelled (the central side refunds its fee). A loan made from a reservation
    (``lent_from_hold``: the central side lends only copies reserved for the member) goes back to
    that reservation, held for the patron with the fee they paid for it: they were told to scan
    the book again, and a return would end the hold and keep the fee. Any other loan is returned
    as of the moment it was made (so no fine can ever come of it)."""
    now = datetime.now(UTC)
    if entry.kind is Kind.RESERVE:
        return NewEntry(Kind.CANCEL, patch_body(ReqState.CANCEL, kiosk_id, now), now,
                        entry.barcode or "", entry.member_id, int(answer["id"]))
    if entry.kind is Kind.RENT and lent_from_hold:
        return NewEntry(Kind.UNRENT, patch_body(ReqState.KIOSK_UNRENT, kiosk_id, now), now,
                        entry.barcode or "", entry.member_id, int(answer["id"]))
    if entry.kind is Kind.RENT:
        return NewEntry(Kind.RETURN, return_body(entry.barcode or "", kiosk_id, entry.occurred_at),
                        entry.occurred_at, entry.barcode or "", entry.member_id)
    raise ValueError(f"a {entry.kind} entry is not an intent")


def settlement(entry: OutboxEntry, result: Ok[Any] | Refused | NotFound, *, kiosk_id: str,
               lends_from_shelf: bool, sent: int = 1) -> Settlement:
    """What a final answer means for ``entry``, given what the patron was told of it: for an
    intent the patron was not told happened (``asking``, ``undo``), applied means delivered and
    compensated, refused means declined; for any other entry, applied means delivered and refused
    means a dead letter (but a compensation or a return that finds nothing to undo is declined)."""
    undo = entry.told in UNDONE_IF_APPLIED
    if isinstance(result, Ok):
        response: dict[str, Any] = {"status": result.status, "replayed": result.replayed,
                                    "body": result.value}
        compensation = compensation_for(entry, result.value, kiosk_id,
                                        lent_from_hold=not lends_from_shelf) if undo else None
        if compensation is not None:
            log.warning("entry %d (%s %s) was applied although the patron was not told so: "
                        "undoing it with a %s", entry.id, entry.kind, entry.barcode, compensation.kind)
        return Settlement(entry.id, Status.DELIVERED, sent, response=response, compensation=compensation)
    if isinstance(result, Refused):
        code, message, status = result.code, result.message, result.status
    else:
        code, message, status = "not_found", result.message, 404
    settled_already = (entry.compensates is not None and code in ALREADY_UNDONE) or (
        entry.kind is Kind.RETURN and code == "not_rented")
    outcome = Status.DECLINED if undo or settled_already else Status.DEAD
    log.warning("entry %d (%s %s) %s: %s", entry.id, entry.kind, entry.barcode,
                "refused" if outcome is Status.DEAD else "declined, nothing to undo", code)
    return Settlement(entry.id, outcome, sent, error=f"{code}: {message}",
                      response={"status": status, "code": code, "message": message})
