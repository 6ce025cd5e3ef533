"""What the patron is told when the kiosk itself stopped an action, not the library: input it
cannot use, or a store that would not take the action.

Apart from the app so that the out-of-service screen, which shows the same words when the store
cannot even be opened, does not have to load the whole patron app to say them.
"""

from __future__ import annotations

from kiosk_app.i18n import N_
from kiosk_app.outcomes import Refusal
from kiosk_app.session import Action

SAVE_FAILED = Refusal("why_save_failed", "next_save_failed")
"""The store was busy (locked past its timeout): trying again may well work."""
STORE_OUT_OF_ORDER = {
    "disk_full": Refusal("why_store_disk_full", "next_store_staff"),
    "corrupt": Refusal("why_store_corrupt", "next_store_staff"),
    "readonly": Refusal("why_store_unwritable", "next_store_staff"),
    "io": Refusal("why_store_unwritable", "next_store_unsure"),
    "moved": Refusal("why_store_unwritable", "next_store_staff"),
}
"""The store cannot take anything until a technician acts: the patron is told why, and to see staff."""
ACTION_FAILED = Refusal("why_refused", "next_ask_desk")
"""Anything else that broke an action: the kiosk goes on, the desk can help."""
HELP_CALLED = Refusal(N_("help_called"), N_("help_called_next"))
"""What the patron is told after calling staff (again after a second press: one call is open)."""
WRONG_INPUT = {
    Action.INVALID: Refusal("why_invalid", "next_invalid"),
    Action.SECOND_CARD: Refusal("why_second_card", "next_second_card"),
}


def failure_notice(exc: Exception) -> Refusal:
    """What a patron action that raised tells the patron: the store's reason if it was the store."""
    from sync_agent.store.database import StoreError  # loaded with the core, as every action is

    if isinstance(exc, StoreError):
        return STORE_OUT_OF_ORDER.get(exc.reason, SAVE_FAILED)
    return ACTION_FAILED
