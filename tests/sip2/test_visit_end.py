"""End patron session 35/36 at the end of a visit, over the real socket: sent for a patron the
adapter opened a session for, with that patron's AA and the institution's AO, never for a visit
that opened none, and never holding up the welcome screen."""

from __future__ import annotations

import asyncio

from kiosk_app.messages import FinishVisit
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import CHOI, KIM, ON_LOAN
from kiosk_testing.pilot import wait_on_screen
from sync_agent.central.results import Busy, InDoubt, NotFound, Ok
from sync_agent.central.sip2.client import Sip2Client
from tests.app.conftest import SIZE, scan_and_settle, settle
from tests.sip2.conftest import opened_patron, sip2_kiosk, sip2_settings


def _ends(server) -> list:
    return [frame for frame in server.received if frame.command == "35"]


async def test_the_adapter_ends_the_session_it_opened_and_forgets_the_barcode(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member_id = await opened_patron(client, KIM)
        ended = await client.end_patron_session(member_id)
        assert isinstance(ended, Ok)
        [end] = _ends(server)
        assert end.get("AA") == KIM and end.get("AO") == "0042"
        assert isinstance(await client.mypage(member_id), NotFound)  # the barcode is gone
        never_opened = client.patron_id(CHOI)  # known by id, but no 63/11/29 sent for it
        assert isinstance(await client.end_patron_session(never_opened), Ok)
        assert isinstance(await client.end_patron_session(member_id), Ok)  # once only
    assert len(_ends(server)) == 1


async def test_an_acs_without_end_session_in_its_bx_is_not_sent_35(tmp_path, acs) -> None:
    no_end_session = "Y" * 8 + "N" + "Y" * 7
    server = acs("evergreen", supported=no_end_session)
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member_id = await opened_patron(client, KIM)
        assert isinstance(await client.end_patron_session(member_id), Ok)
        assert isinstance(await client.item_state(ON_LOAN), Ok)  # the connection is still good
    assert not _ends(server) and server.connections == 1


async def test_an_acs_gone_away_makes_the_end_unanswered_not_an_error(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member_id = await opened_patron(client, KIM)
        server.stop()
        ended = await client.end_patron_session(member_id)
        assert isinstance(ended, Busy | InDoubt)  # an answer, never an exception
        assert isinstance(await client.mypage(member_id), NotFound)  # forgotten all the same


async def test_the_end_of_a_visit_sends_35_for_its_patron(tmp_path, acs) -> None:
    server = acs()
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en"))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            k.app.post_message(FinishVisit())  # nothing done in the visit: straight back to the welcome screen
            await settle(pilot)
            await wait_on_screen(pilot, lambda: bool(_ends(server)))
            assert isinstance(k.app.screen, WelcomeScreen)
            await scan_and_settle(pilot, ON_LOAN)  # a return without a card: no patron session
            k.app.end_session()
            await settle(pilot)
            await asyncio.gather(*k.lending.session_ends)
        [end] = _ends(server)
        assert end.get("AA") == KIM and end.get("AO") == "0042"
        assert server.commands()[-1] != "35" and server.commands().count("63") >= 1
    finally:
        await k.close()


async def test_a_silent_acs_never_holds_up_the_welcome_screen(tmp_path, acs) -> None:
    server = acs()
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en", call_timeout_ms=3000))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            server.hostile.append("silence")  # the 35 gets no answer
            k.app.end_session()
            await settle(pilot)
            assert isinstance(k.app.screen, WelcomeScreen)
            assert k.lending.session_ends and not any(task.done() for task in k.lending.session_ends)
            await asyncio.gather(*k.lending.session_ends)  # ends by the call's own deadline
            assert not k.lending.session_ends
        assert len(_ends(server)) == 1
    finally:
        await k.close()
