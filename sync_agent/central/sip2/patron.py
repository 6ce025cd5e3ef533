"""Reading a SIP2 patron information answer (64) as SIP 2.00 means it: who may borrow, and why not.

The first 14 characters of a 64's fixed part are the patron-status flags, each ``Y`` or blank.
Only one of them stops a borrow: *charge privileges denied* (position 0). *Renewal privileges
denied* (1) stops a renewal. *Recall* and *hold privileges denied* (2, 3) stop nothing the kiosk
does: Evergreen sends them for patron groups that may borrow. The other ten say why a card is
limited (card reported lost, too many items overdue, excessive outstanding fines, ...), and the
patron reads each as its own reason. The validity fields are reasons too: BL N (not a valid
patron) stops everything; CQ N (the password is not valid) stops nothing by itself, since the
kiosk sends no patron password, but it is named among the reasons when the card is refused.

Fines are named only when the ACS reports them (flag 10 or 11, or an amount in BV), and with the
amount: BV, in the currency BH when that is not won.
"""

from __future__ import annotations

from sync_agent.central.sip2.answers import number
from sync_agent.wire.rest import Member, MemberStatus
from sync_agent.wire.sip2 import Frame

PATRON_STATUS = (
    "charge_denied", "renewal_denied", "recall_denied", "hold_denied", "card_lost",
    "too_many_charged", "too_many_overdue", "too_many_renewals", "too_many_claims",
    "too_many_lost", "excessive_fines", "excessive_fees", "recall_overdue", "too_many_billed",
)
"""The block code of each patron-status flag, by position (SIP 2.00, patron status)."""
CARD_INVALID, PASSWORD_INVALID = "card_invalid", "password_invalid"
STOPS_BORROWING = frozenset({"charge_denied", CARD_INVALID})
WON = ("", "KRW")


def blocks_of(answer: Frame) -> list[str]:
    """The block codes a 64 reports, flags first (in their order), then BL and CQ."""
    found = [code for code, flag in zip(PATRON_STATUS, answer.fixed[:14], strict=False) if flag == "Y"]
    if answer.get("BL") == "N":
        found.append(CARD_INVALID)
    if answer.get("CQ") == "N":
        found.append(PASSWORD_INVALID)
    return found


def member_of(answer: Frame, member_id: int, card: str) -> Member:
    """The kiosk's member from a 64: may borrow unless a block stops borrowing."""
    blocks = blocks_of(answer)
    currency = answer.get("BH").strip().upper()
    fines = number(answer.get("BV"))
    written = f"{answer.get('BV').strip()} {currency}" if fines and currency not in WON else ""
    blocked = any(code in STOPS_BORROWING for code in blocks)
    return Member(id=member_id, card_number=card, name=answer.get("AE"),
                  status=MemberStatus.BLOCKED if blocked else MemberStatus.ACTIVE,
                  loan_limit=number(answer.get("CB"), 99), fines=max(fines, 0),
                  active_loans=number(answer.fixed[43:47]), blocks=blocks,
                  said=" / ".join(part for part in answer.all("AF") if part), fines_written=written,
                  email=answer.get("BE") or None)
