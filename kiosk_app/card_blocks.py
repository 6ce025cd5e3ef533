"""Why a card may not borrow or renew, in the patron's words: one reason per block the library
system reports (``Member.blocks``), never a guess.

A SIP2 ACS says why a card is limited with its patron-status flags (sync_agent.central.sip2.patron);
each becomes its own line under the kiosk's verdict. Blocks that limit only what the kiosk never
does (recalls, holds) and the verdicts themselves (charge or renewal privileges denied) are not
reasons. Fines are named only when the library reports them: by a flag (excessive fines or fees)
or by an amount owed, which is then shown. A card blocked with no reason given says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk_app.i18n import N_, Won
from sync_agent.wire.rest import STOPS_RENEWING, Member

REASON_OF = {
    "card_lost": N_("block_card_lost"),
    "too_many_charged": N_("block_too_many_charged"),
    "too_many_overdue": N_("block_too_many_overdue"),
    "too_many_renewals": N_("block_too_many_renewals"),
    "too_many_claims": N_("block_too_many_claims"),
    "too_many_lost": N_("block_too_many_lost"),
    "excessive_fines": N_("block_excessive_fines"),
    "excessive_fees": N_("block_excessive_fees"),
    "recall_overdue": N_("block_recall_overdue"),
    "too_many_billed": N_("block_too_many_billed"),
    "card_invalid": N_("block_card_invalid"),
    "password_invalid": N_("block_password_invalid"),
}
"""The i18n key of each block code that explains a limit (the rest are verdicts, or about what the
kiosk never does)."""
UNEXPLAINED = N_("block_unexplained")


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of why, as an i18n key and its fields."""

    key: str
    fields: dict[str, object] = field(default_factory=dict)


def reasons(member: Member) -> tuple[Reason, ...]:
    """Every reason the library system gave for the card's limits, the amount owed last."""
    found = [Reason(REASON_OF[code]) for code in member.blocks if code in REASON_OF]
    if member.fines_written:
        found.append(Reason(N_("block_owed_written"), {"amount": member.fines_written}))
    elif member.fines > 0:
        found.append(Reason(N_("block_owed"), {"amount": Won(member.fines)}))
    return tuple(found) or (Reason(UNEXPLAINED),)


def renewals_stopped(member: Member) -> bool:
    """Whether the library system said this card may not renew."""
    return any(code in STOPS_RENEWING for code in member.blocks)
