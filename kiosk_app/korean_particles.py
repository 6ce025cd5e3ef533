"""Korean particles chosen by the sound before them: "'채식주의자'는", "'책 한 권'은", never "은(는)".

A Korean particle has two forms, one after a final consonant and one after a vowel (은/는, 이/가,
을/를, 과/와, 으로/로, the last also 로 after ㄹ). A message whose word is filled in at run time
(a title, a barcode prefix, an address) cannot know which, so the catalogs write both, the way
Korean software long has ("은(는)"), and :func:`choose_particles` picks one once the word is in.

The sound before a particle is read from the last character that is pronounced, skipping closing
quotes and brackets: a Hangul syllable by its final consonant (jongseong), a digit by its Korean
name (일, 이, 삼 ...), a Latin letter by how Koreans read a word ending in it (a final l, m, n or r
sounds; a final e is mostly silent, so the letter before it decides). Nothing pronounced before
it (a message starting with the particle) leaves the text as written.
"""

from __future__ import annotations

import re

PAIRS = {"은(는)": ("은", "는"), "이(가)": ("이", "가"), "을(를)": ("을", "를"), "과(와)": ("과", "와"),
         "와(과)": ("과", "와"), "(으)로": ("으로", "로")}
"""Each written pair: (after a final consonant, after a vowel)."""
_PARTICLE = re.compile("|".join(re.escape(pair) for pair in PAIRS))
_SILENT = "'\"’”)]}」』 "
"""Skipped when looking for the last pronounced character: closing quotes and brackets."""
RIEUL = 8
"""The jongseong index of ㄹ: (으)로 takes 로 after it, as after a vowel."""
DIGIT_FINALS = {"0": 21, "1": RIEUL, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": RIEUL, "8": RIEUL, "9": 0}
"""The final consonant of each digit's Korean name (영 ㅇ, 일 ㄹ, 이, 삼 ㅁ, 사, 오, 육 ㄱ, 칠 ㄹ, 팔 ㄹ, 구)."""
LETTER_FINALS = {"l": RIEUL, "m": 16, "n": 4, "r": RIEUL, "b": 0, "c": 0, "d": 0, "g": 0, "k": 0, "p": 0,
                 "t": 0}
"""Latin letters that end a word with a sound Koreans write as a final consonant (-l 엘, -m 엠, -n 엔,
-r 알); the rest read with a vowel at the end, as their names do (비, 씨, 디, 지, 케이, 피, 티)."""


def _final(before: str) -> int | None:
    """The final consonant (jongseong index, 0 for none) of the last pronounced character of
    ``before``; None if there is nothing pronounced there."""
    text = before.rstrip(_SILENT)
    if not text:
        return None
    last = text[-1]
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28
    if last in DIGIT_FINALS:
        return DIGIT_FINALS[last]
    lowered = text.lower()
    if lowered[-1] == "e" and len(lowered) > 1 and lowered[-2].isalpha():
        lowered = lowered[:-1]  # a final e is mostly silent: "Dune" reads 듄, "Code" 코드
    if lowered[-1].isascii() and lowered[-1].isalpha():
        return LETTER_FINALS.get(lowered[-1], 0)
    return None


def choose_particles(text: str) -> str:
    """``text`` with each written pair ("은(는)", "(으)로", ...) replaced by the form its word takes."""
    out, start = [], 0
    for match in _PARTICLE.finditer(text):
        pair = match.group(0)
        final = _final(text[:match.start()])
        out.append(text[start:match.start()])
        if final is None:
            out.append(pair)
        else:
            after_consonant, after_vowel = PAIRS[pair]
            vowel_like = final == 0 or (pair == "(으)로" and final == RIEUL)
            out.append(after_vowel if vowel_like else after_consonant)
        start = match.end()
    out.append(text[start:])
    return "".join(out)
