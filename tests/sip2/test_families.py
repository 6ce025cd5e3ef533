"""The fake ACS answers as Koha's and Evergreen's SIP servers do where they differ from each other
or from the letter of SIP 2.00 (sources in docs/operations.md, "What real ACSes do"): a repeated
checkout, an idle connection, a renew all the patron may not make. Raw frames over the real socket."""

from __future__ import annotations

import pytest

from kiosk_data.codes import BLOCKED, KIM, ON_LOAN
from kiosk_testing.waiting import wait_until_async
from sync_agent.central.results import Ok
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.wire.sip2 import Frame
from tests.sip2.conftest import sip2_settings

STAMP = "20261122    120000"


def _checkout(policy: str) -> Frame:
    return Frame("11", policy + "N" + STAMP + " " * 18, (("AO", "0042"), ("AA", KIM), ("AB", ON_LOAN), ("AC", "")))


@pytest.mark.parametrize("family, ok, renewed", [("koha", "1", 1), ("evergreen", "0", 0)])
async def test_a_repeated_checkout_with_policy_n(tmp_path, acs, family, ok, renewed) -> None:
    """Koha renews a copy already out to the patron whatever the SC renewal policy says; Evergreen
    refuses it unless the policy allows renewals."""
    server = acs(family)
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        answer = await client.connection.ask(_checkout("N"))
    assert isinstance(answer, Frame) and answer.flag(0) == ok
    assert server.library.items[ON_LOAN].renewals == renewed
    if family == "koha":
        assert answer.flag(1) == "Y" and "renewing" in answer.get("AF")


@pytest.mark.parametrize("family", ["koha", "evergreen"])
async def test_both_drop_an_idle_connection(tmp_path, acs, family) -> None:
    server = acs(family, idle_timeout_s=0.2)
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        assert isinstance(await client.health(), Ok)
        assert server.open_sessions == 1
        await wait_until_async(lambda: server.open_sessions == 0)  # the ACS hung up on the idle connection
        assert isinstance(await client.item_state(ON_LOAN), Ok)  # on a new connection
    assert server.connections == 2


async def test_renew_all_for_a_patron_who_may_not_renew_is_refused_whole(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        answer = await client.connection.ask(Frame("65", STAMP, (("AO", "0042"), ("AA", BLOCKED))))
    assert isinstance(answer, Frame) and answer.flag(0) == "0"
    assert answer.get("AF") == "Renewals not allowed."
