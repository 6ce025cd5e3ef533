"""The demo library's codes by what they demonstrate, for the tests, the benchmarks and the demo.

Each name reads its code from ``members.json`` or ``items.json`` by the row's id, so the codes
have one home (the JSON) and a name says which fixture a test relies on: ``ON_LOAN`` rather than a
fourteen-digit number that a reader has to look up in ``README.md``, where each fixture's story is
told. Ids never change (rows are only ever added), so a name keeps its meaning.
"""

import json
from typing import Any

from . import DATA_DIR


def _rows(name: str) -> dict[int, dict[str, Any]]:
    rows = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return {row["id"]: row for row in rows}


_MEMBERS = _rows("members")
_ITEMS = _rows("items")


def _card(member_id: int) -> str:
    return str(_MEMBERS[member_id]["cardNumber"])


def _label(item_id: int) -> str:
    return str(_ITEMS[item_id]["barcode"])


# Member cards
KIM = _card(1)                     # 김민지, the main patron: HOLD_READY, ON_LOAN and OVERDUE are hers
KIM_PIN = str(_MEMBERS[1]["pin"])  # her PIN, for kiosks that ask for one
PARK = _card(2)                    # James Park: holds OTHERS_HOLD
BLOCKED = _card(3)                 # fines over the limit: member_blocked
WITHDRAWN_CARD = _card(4)          # member_withdrawn
AT_LIMIT = _card(5)                # Emily Clark: 2 loans of 2 (AT_LIMIT_LOAN, AT_LIMIT_OTHER_LOAN)
CHOI = _card(6)                    # a clean record, nothing borrowed
DECLINED = _card(7)                # her payment card is declined: payment_declined

# Item labels
HOLD_READY = _label(1)             # reserved for KIM, ready for pickup
HOLD_READY_ISBN = str(_ITEMS[1]["isbn"])  # its back cover: not a label, the patron is told so
ON_LOAN = _label(2)                # on loan to KIM, due in 7 days
OVERDUE = _label(3)                # on loan to KIM, 5 days overdue
AVAILABLE = _label(4)              # on the shelf: not_reserved when borrowed
OTHERS_HOLD = _label(5)            # reserved for PARK: reserved_for_other for anyone else
LOST = _label(6)                   # withdrawn (lost): book_withdrawn
AVAILABLE_KO = _label(7)           # on the shelf, a Korean title
AVAILABLE_EN = _label(8)           # on the shelf, an English title
AT_LIMIT_LOAN = _label(9)          # on loan to AT_LIMIT
AT_LIMIT_OTHER_LOAN = _label(10)   # her other loan
