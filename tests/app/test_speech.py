"""What the kiosk says, through the real app, store, stand-in and espeak-ng, written to the
``speech_out`` folder: the words of each utterance are the ``.txt`` beside its WAV, read in order.

By default no name, title or amount is heard; the patron's F7 (or ``speech_details = "always"``)
adds them for the visit, and the visit's end puts the library's defaults back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk_app.i18n import fmt_date, t
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.session import Became, Earlier
from kiosk_app.utterance import spoken
from kiosk_app.voice import VisitVoice
from kiosk_data.codes import AT_LIMIT_OTHER_LOAN, BLOCKED, HOLD_READY, KIM, KIM_PIN, ON_LOAN, OVERDUE

from .conftest import SIZE, scan_and_settle, settle

TITLE_ON_LOAN = "The Pragmatic Programmer"
TITLE_RESERVED = "채식주의자"
NAME = "김민지"
NAME_EN = "Kim Min-ji"
"""Her name in English (data/members.json ``nameEn``): what an English visit says."""


def said(folder: Path) -> list[str]:
    """The words of every utterance so far, in the order spoken."""
    return [p.read_text().strip() for p in sorted(folder.glob("*.txt"))] if folder.is_dir() else []


def tones(folder: Path) -> list[str]:
    return [p.stem.split("-tone-")[1] for p in sorted(folder.glob("*-tone-*.wav"))] if folder.is_dir() else []


async def hear(pilot: Any, folder: Path, count: int, timeout_s: float = 15.0) -> list[str]:
    """The first ``count`` utterances once written (a bounded poll while the app runs), and then
    all there are once the voice is idle: nothing more may follow unheard by the test."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while len(said(folder)) < count:
        if loop.time() > deadline:
            raise AssertionError(f"{count} utterances expected, got {said(folder)}")
        await pilot.pause(0.02)
        await pilot.app.drain()
    assert pilot.app.speaker.engine.wait_idle(10)
    return said(folder)


async def member_seen(pilot: Any, folder: Path) -> int:
    """The member's card scanned and their visit closed with nothing done (which caches their
    loans, as a visit would, so a late return knows its fine); how many utterances that made."""
    await scan_and_settle(pilot, KIM)
    await pilot.click("#done")
    await settle(pilot)
    return len(await hear(pilot, folder, 2))


@pytest.fixture
def speaking(kiosk, tmp_path, espeak_ng):
    def build(**overrides: Any):
        overrides.setdefault("speech", "on")
        return kiosk(speech_out=str(tmp_path / "said"), **overrides)
    return build


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_the_welcome_is_said_on_start(speaking, tmp_path, lang):
    k = speaking(lang=lang)
    async with k.app.run_test(size=SIZE) as pilot:
        assert await hear(pilot, tmp_path / "said", 1) == [t(lang, "say_welcome")]
    wav = next((tmp_path / "said").glob("0001-speech-*.wav"))
    assert wav.name == f"0001-speech-{lang}.wav" and wav.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_a_return_is_counted_aloud_without_its_title(speaking, tmp_path, lang):
    k = speaking(lang=lang)
    async with k.app.run_test(size=SIZE) as pilot:
        await hear(pilot, tmp_path / "said", 1)
        await scan_and_settle(pilot, ON_LOAN)
        words = await hear(pilot, tmp_path / "said", 3)
    assert words[1:] == [t(lang, "say_returned", count=1), t(lang, "scan_next_return")]
    assert words[1] in ("1 book returned.", "책 1권이 반납되었습니다.")
    assert tones(tmp_path / "said") == ["success"]
    assert not any(TITLE_ON_LOAN in line for line in words)


async def test_asked_for_details_the_title_and_fine_are_said_too(speaking, tmp_path):
    k = speaking(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        before = await member_seen(pilot, tmp_path / "said")
        await pilot.press("f7")
        await scan_and_settle(pilot, ON_LOAN, OVERDUE)
        words = (await hear(pilot, tmp_path / "said", before + 4))[before:]
    assert words[0] == t("en", "say_details_on")
    assert words[1] == "Title: The Pragmatic Programmer. 1 book returned."
    assert words[2] == "Scan the next book, or tap Done."
    assert words[3] == "Title: 소년이 온다. 2 books returned. 5 days late, estimated fine 500 won."


async def test_without_details_a_late_return_says_it_is_late_not_the_amount(speaking, tmp_path):
    k = speaking(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        before = await member_seen(pilot, tmp_path / "said")
        await scan_and_settle(pilot, OVERDUE)
        words = (await hear(pilot, tmp_path / "said", before + 2))[before:]
    assert words[0] == "1 book returned. " + t("en", "say_late")
    assert "500" not in " ".join(words) and "소년이 온다" not in " ".join(words)


async def test_where_earphones_are_the_only_way_out_details_are_said_from_the_start(speaking, tmp_path):
    k = speaking(lang="en", speech_details="always")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        words = await hear(pilot, tmp_path / "said", 2)
    assert words[1].startswith(f"Hello, {NAME_EN}. ")
    assert "1 reservation is ready for pickup. 1 loan is overdue." in words[1]


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_a_member_visit_says_each_screen_and_outcome_without_names(speaking, tmp_path, lang):
    k = speaking(lang=lang)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen)
        await scan_and_settle(pilot, HOLD_READY)
        [line] = k.app.session.borrows
        borrowed = spoken(t(lang, "borrowed", date=fmt_date(line.due_at, lang, k.app.tz, "yMMMMd")))
        await pilot.click("#done")
        await settle(pilot)
        assert isinstance(k.app.screen, ReceiptScreen)
        await pilot.click("#finish")
        await settle(pilot)
        words = await hear(pilot, tmp_path / "said", 5)
    assert words[0] == t(lang, "say_welcome")
    assert words[1] == " ".join([t(lang, "say_member"), t(lang, "member_scan_book"), t(lang, "say_done")])
    assert words[2] == borrowed and ("Borrowed, due December" in borrowed or lang == "ko")
    assert words[3] == t(lang, "say_receipt")
    assert words[4] == t(lang, "say_welcome")
    assert not any(private in line for line in words for private in (NAME, NAME_EN, TITLE_RESERVED))
    assert tones(tmp_path / "said") == ["success"]


async def test_news_of_earlier_visits_is_counted_aloud_and_told_in_the_details(speaking, tmp_path):
    k = speaking(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        k.app.session.patron.earlier = [Earlier("rent", AT_LIMIT_OTHER_LOAN, "Dune", k.app.clock(), Became.NOT_MADE)]
        k.app.say_screen()
        await pilot.press("f7")
        k.app.say_screen()
        words = await hear(pilot, tmp_path / "said", 5)
    assert "1 loan or reservation from your earlier visits has news" in words[2] and "Dune" not in words[2]
    assert words[3] == t("en", "say_details_on")
    assert "Dune" in words[4] and NAME_EN in words[4]


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_a_refusal_says_why_and_what_next_with_an_error_tone(speaking, tmp_path, lang):
    async with speaking(lang=lang).app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, BLOCKED)
        notice = pilot.app.screen
        words = await hear(pilot, tmp_path / "said", 2)
    assert isinstance(notice, NoticeScreen)
    assert words[1] == spoken(t(lang, notice.refusal.why), t(lang, notice.refusal.next))
    assert tones(tmp_path / "said") == ["error"]


async def test_nothing_is_said_with_speech_off_until_the_patron_turns_it_on(speaking, tmp_path):
    k = speaking(lang="en", speech="off")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        assert k.app.speaker.engine.wait_idle(10)
        assert not (tmp_path / "said").exists()
        await pilot.press("f2")
        words = await hear(pilot, tmp_path / "said", 2)
    assert words == ["Speech on.", "Scan the next book, or tap Done."]


async def test_f1_says_the_keys_and_f2_stops_the_voice_for_the_rest_of_the_visit(speaking, tmp_path):
    k = speaking(lang="ko")
    async with k.app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.press("f2")
        await scan_and_settle(pilot, ON_LOAN)
        words = await hear(pilot, tmp_path / "said", 3)
    assert words == [t("ko", "say_welcome"), t("ko", "say_keys"), "음성 안내를 끕니다."]
    assert tones(tmp_path / "said") == []  # the return's tone is not played either


async def test_the_visit_s_voice_goes_back_to_the_library_s_when_the_visit_ends(speaking, tmp_path):
    k = speaking(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        for key in ("f4", "f4", "f5", "f7"):
            await pilot.press(key)
        await hear(pilot, tmp_path / "said", 5)
        assert k.app.speaker.voice == VisitVoice(True, 90, 130, True)
        await scan_and_settle(pilot, ON_LOAN)
        await pilot.click("#done")
        await settle(pilot)
        await pilot.click("#finish")
        await settle(pilot)
        assert k.app.speaker.voice == VisitVoice.defaults(k.settings)
        before = len(await hear(pilot, tmp_path / "said", 8))
        await scan_and_settle(pilot, ON_LOAN)  # already returned: says so, without the title
        words = (await hear(pilot, tmp_path / "said", before + 1))[before:]
    assert said(tmp_path / "said")[1:5] == ["Volume 80.", "Volume 90.", "Speed 130 words a minute.",
                                            t("en", "say_details_on")]
    assert TITLE_ON_LOAN not in " ".join(words)


@pytest.mark.parametrize(("start", "key", "then"), [("ko", "#lang", "en"), ("en", "f8", "en")])
async def test_the_language_button_and_f8_say_the_screen_again(speaking, tmp_path, start, key, then):
    """The language button in the new language; F8 repeats the last words."""
    async with speaking(lang=start).app.run_test(size=SIZE) as pilot:
        await hear(pilot, tmp_path / "said", 1)
        await (pilot.click(key) if key.startswith("#") else pilot.press(key))
        words = await hear(pilot, tmp_path / "said", 2)
    assert words == [t(start, "say_welcome"), t(then, "say_welcome")]
    assert (tmp_path / "said" / f"0002-speech-{then}.wav").is_file()


def test_a_notice_that_names_an_amount_or_the_library_s_words_says_them_only_in_the_details():
    from kiosk_app.i18n import fmt_won
    from kiosk_app.outcomes import Refusal
    from kiosk_app.utterance import refusal_utterance

    refusal = Refusal("why_rent_unconfirmed", "next_reserved_kept", {"fee": fmt_won(1500)},
                      said="Kim, please see the desk")
    utterance = refusal_utterance(refusal, "en")
    assert utterance.text_public == spoken(t("en", "why_rent_unconfirmed", fee=fmt_won(1500)))
    assert "1,500" in utterance.text(details=True) and "Kim" in utterance.text(details=True)
    assert "1,500" not in utterance.text(details=False) and "Kim" not in utterance.text(details=False)


async def test_the_pin_pad_speaks_its_prompt_and_a_wrong_pin_but_never_a_digit(speaking, tmp_path):
    from .test_patron_pin import type_pin

    k = speaking(lang="en", patron_pin="required")
    folder = tmp_path / "said"
    async with k.app.run_test(size=SIZE) as pilot:
        await hear(pilot, folder, 1)
        await scan_and_settle(pilot, KIM)
        await type_pin(pilot, "111111")
        heard = await hear(pilot, folder, 3)
        assert "Enter your PIN." in heard
        assert any(words.startswith("Wrong PIN") for words in heard), heard
        await type_pin(pilot, KIM_PIN)
        await settle(pilot)
        heard = await hear(pilot, folder, len(heard) + 1)
    assert not any(digit in " ".join(heard) for digit in ("111111", KIM_PIN, "7 3 9"))
    assert "error" in tones(folder)
