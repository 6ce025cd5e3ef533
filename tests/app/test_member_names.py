"""Names in the patron's language: the central side's English name (``Member.nameEn``) greets a
patron who chose English, the library's own name a Korean one, and a member without an English
name is greeted by the name there is, in either language."""

from __future__ import annotations

import pytest

from kiosk_app.i18n import t
from kiosk_app.screens.member import MemberScreen
from kiosk_data.codes import KIM
from kiosk_testing.pilot import screen_text
from sync_agent.wire.rest import Member, MemberStatus

from .conftest import SIZE, scan_and_settle, settle
from .test_central_down import go_offline

HELLO = {"ko": t("ko", "member_heading", name="김민지"), "en": t("en", "member_heading", name="Kim Min-ji")}


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_the_greeting_uses_the_name_in_the_patron_s_language(kiosk, lang):
    k = kiosk(lang=lang)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen)
        text = screen_text(k.app)
    assert HELLO[lang] in text
    assert ("Kim Min-ji" in text) == (lang == "en") and ("김민지" in text) == (lang == "ko")


async def test_switching_the_language_switches_the_name(kiosk):
    k = kiosk(lang="ko")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert HELLO["ko"] in screen_text(k.app)
        await pilot.click("#lang")
        await settle(pilot)
        assert HELLO["en"] in screen_text(k.app)


async def test_a_member_without_an_english_name_is_greeted_by_the_name_there_is(kiosk, central):
    with central.app.state.stand_in.db.transaction() as conn:
        conn.execute("UPDATE members SET name_en = NULL WHERE card_number = ?", (KIM,))
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert t("en", "member_heading", name="김민지") in screen_text(k.app)
        assert k.app.session.patron.member.name_en is None


def test_name_in_falls_back_to_the_name_the_library_shows() -> None:
    member = Member(id=1, card_number=KIM, name="김민지", name_en="Kim Min-ji", status=MemberStatus.ACTIVE,
                    loan_limit=5, fines=0)
    assert (member.name_in("ko"), member.name_in("en")) == ("김민지", "Kim Min-ji")
    only_korean = member.model_copy(update={"name_en": None})
    assert (only_korean.name_in("ko"), only_korean.name_in("en")) == ("김민지", "김민지")
    blank = member.model_copy(update={"name_en": ""})
    assert blank.name_in("en") == "김민지"
    assert Member.model_validate_json(member.model_dump_json(by_alias=True)).name_en == "Kim Min-ji"


async def test_offline_the_cached_member_keeps_her_english_name(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)  # a visit while up caches the view and the card's member
        await pilot.click("#done")
        await settle(pilot)
        await go_offline(pilot, central)
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen) and k.app.session.patron.cached
        assert HELLO["en"] in screen_text(k.app)
