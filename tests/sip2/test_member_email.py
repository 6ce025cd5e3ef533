"""Over SIP2 the patron's email address is the 64's BE field (patron information response)."""

from __future__ import annotations

from kiosk_data.codes import KIM, PARK
from sync_agent.central.results import Ok
from sync_agent.central.sip2.client import Sip2Client

from .conftest import sip2_settings


async def test_the_email_comes_from_the_patron_information_be_field(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        minji = await client.member_by_card(KIM)
        park = await client.member_by_card(PARK)
    assert isinstance(minji, Ok) and minji.value.email == "minji.kim@example.org"
    assert isinstance(park, Ok) and park.value.email is None, "no BE: no email offered"
