"""Korean particles chosen by the word before them, never shown as "은(는)"."""

from __future__ import annotations

import pytest

from kiosk_app.i18n import t
from kiosk_app.korean_particles import choose_particles


@pytest.mark.parametrize(("written", "read"), [
    ("'채식주의자'은(는) 대출 가능합니다", "'채식주의자'는 대출 가능합니다"),  # no final consonant
    ("'소년이 온다'은(는) 기록되지 않았습니다", "'소년이 온다'는 기록되지 않았습니다"),
    ("'아몬드'을(를) 처리하지 못했습니다", "'아몬드'를 처리하지 못했습니다"),
    ("'작별하지 않는다'을(를) 처리", "'작별하지 않는다'를 처리"),
    ("'책 한 권'은(는)", "'책 한 권'은"),  # 권: final ㄴ
    ("'흰'이(가)", "'흰'이"),
    ("'나무'이(가)", "'나무'가"),
    ("'사과'와(과)", "'사과'와"), ("'수박'와(과)", "'수박'과"),
    ("30042(으)로 시작", "30042로 시작"),  # 2 (이): no final consonant
    ("30047(으)로 시작", "30047로 시작"),  # 7 (칠): final ㄹ takes 로
    ("30046(으)로 시작", "30046으로 시작"),  # 6 (육): final ㄱ
    ("minji.kim@example.org(으)로 보냅니다", "minji.kim@example.org로 보냅니다"),  # g (지)
    ("Dune은(는)", "Dune은"),  # e is silent here: read as 듄
    ("Clean Code을(를)", "Clean Code를"),
    ("서울(으)로", "서울로"),  # final ㄹ
    ("부산(으)로", "부산으로"),
    ("(으)로 시작", "(으)로 시작"),  # nothing before: left as written
])
def test_each_particle_follows_the_last_sound(written: str, read: str) -> None:
    assert choose_particles(written) == read


def test_korean_messages_never_show_both_forms() -> None:
    text = t("ko", "reserve_offer_body", title="채식주의자", fee=1000)
    assert "은(는)" not in text and "'채식주의자'는" in text, text
    text = t("ko", "next_isbn", prefix="30042")
    assert "(으)로" not in text and "30042로 시작" in text, text


def test_english_is_left_as_it_is() -> None:
    assert choose_particles("Tap (OK) to go on") == "Tap (OK) to go on"
