"""Reading a SIP2 renew all (65/66): which loans were renewed, and a true reason for the others.

A 66 lists the renewed items (BM) and the unrenewed ones (BN) but never says why an item was not
renewed, and the patron must still read a reason per loan, as after a renewal (29/30) that was
refused in the library's words. So the reason is learnt from what the kiosk can see: a card whose
last patron information (64) said it may not renew, then the item's own information (18): a hold
queue (CF above 0) or the copy waiting on the hold shelf means another patron is waiting, a due
date (AH) in the past means it is overdue. When none of these explains it (the renewal limit, a
local policy), the refusal says honestly that the library system did not say why, and the patron
is sent to the desk rather than told a guess.
"""

from __future__ import annotations

from datetime import datetime

from sync_agent.central.results import Refused
from sync_agent.central.sip2.answers import number
from sync_agent.wire.sip2 import Dialect, Frame

ON_HOLD_SHELF = "08"
NO_REASON = "the library system did not say why this item was not renewed (renew all, 66)"


def renewal_lists(answer: Frame) -> tuple[set[str], set[str]]:
    """The items a 66 says were renewed (BM) and not renewed (BN)."""
    return set(answer.all("BM")), set(answer.all("BN"))


def why_not_renewed(item: Frame | None, *, blocked: bool, said: str, dialect: Dialect,
                    now: datetime) -> Refused:
    """The refusal of one unrenewed item: the first reason the kiosk can truly learn, else none."""
    if blocked:
        return Refused("renewal_denied", "the patron's card may not renew, said the last patron "
                       "information (64)", said=said)
    if item is not None and (number(item.get("CF")) > 0 or item.flag(0, 2) == ON_HOLD_SHELF):
        return Refused("reserved_for_other", "the item has a hold queue (18: CF)", said=said)
    due = dialect.parse_date(item.get("AH")) if item is not None else None
    if due is not None and due < now:
        return Refused("overdue", "the item's due date has passed (18: AH)", said=said)
    return Refused("refused", NO_REASON, said=said)
