"""An outbox entry as the central port takes it: its kind mapped to the port's verb.

The port knows no outbox (:mod:`sync_agent.central.port`): it is asked to check in, check out,
reserve, cancel or unrent a :class:`Command`. This is the one place that turns an entry into a
command and picks the verb, for the relay, the app's saga and the tests that send an entry
through an adapter."""

from __future__ import annotations

from typing import Any

from sync_agent.central.port import DEPENDENCY_OF, Central, Command, Verb
from sync_agent.central.results import Result
from sync_agent.store.outbox import Kind, OutboxEntry

DEPENDENCY_OF_KIND = {kind: DEPENDENCY_OF[Verb(kind.value)] for kind in Kind}
"""The breaker an entry's delivery goes through, whichever adapter sends it."""


def command_of(entry: OutboxEntry) -> Command:
    """What the port needs of ``entry``: its key, when the patron acted, whom and what it is
    about, its request body, and whether it was sent before."""
    return Command(key=entry.key, occurred_at=entry.occurred_at, barcode=entry.barcode,
                   member_id=entry.member_id, rental_id=entry.rental_id, book_id=entry.book_id,
                   body=entry.payload, tried_before=entry.attempts > 0)


async def send(central: Central, entry: OutboxEntry) -> Result[dict[str, Any]]:
    """Send ``entry`` through the verb of its kind; the answer as the port gives it."""
    verb = {Kind.RETURN: central.check_in, Kind.RENT: central.check_out, Kind.RESERVE: central.reserve,
            Kind.CANCEL: central.cancel, Kind.UNRENT: central.unrent}[entry.kind]
    return await verb(command_of(entry))
