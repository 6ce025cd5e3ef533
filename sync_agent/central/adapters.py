"""The one place that builds the central side's adapter from the settings (``central``).

The adapter knows no store: the process that builds it hands its breakers whatever keeps their
states (``central.breakers.report_to(...)``, in the composition roots of the app and the agent)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sync_agent.central.port import Central
from sync_agent.settings import Settings


def make_central(settings: Settings, *, owner: str = "app", member_key: bytes | None = None) -> Central:
    """The REST client or the SIP2 client, as configured; close it with ``aclose``. ``owner``
    (``app`` or ``agent``) picks the call's deadline; ``member_key`` keys SIP2's opaque member ids
    (the app passes its card-lookup key)."""
    if settings.central == "sip2":
        from sync_agent.central.sip2.client import Sip2Client
        return Sip2Client(settings, owner=owner, member_key=member_key)
    from sync_agent.central.rest.client import CentralClient
    return CentralClient(settings, owner=owner)


@asynccontextmanager
async def open_central(settings: Settings, *, owner: str = "app",
                       member_key: bytes | None = None) -> AsyncIterator[Central]:
    central = make_central(settings, owner=owner, member_key=member_key)
    try:
        yield central
    finally:
        await central.aclose()
