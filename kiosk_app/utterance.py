"""What the kiosk says: an :class:`Utterance` is the words of one moment, twice over: the public
words anyone near the kiosk may hear ("1 book returned"), and the words with the details (the
title, the patron's name, amounts), spoken only when the patron asked for them or the library says
earphones are the only way out (``speech_details``).

Screens say what they show when they appear (``Viewed.spoken``, posted up as a
:class:`~kiosk_app.messages.Speak`); the app says the outcomes (:mod:`kiosk_app.announce`). Both
build their words here, from the same catalogs as the screen (:mod:`kiosk_app.i18n`), so the
voice never says what the screen does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hardware.speech import Tone
from kiosk_app.i18n import Lang, Won, t

if TYPE_CHECKING:
    from kiosk_app.outcomes import Refusal

PRIVATE_FIELDS = frozenset({"name", "title", "amount", "fee", "address", "words"})
"""Fields that say who the patron is or what they owe or read: heard only in the details."""


@dataclass(frozen=True, slots=True)
class Utterance:
    text_public: str
    text_details: str = ""
    """The same moment with names, titles and amounts; empty: nothing more than the public words."""
    tone: Tone | None = None
    lang: Lang = "ko"

    def text(self, details: bool) -> str:
        return self.text_details if details and self.text_details else self.text_public


def spoken(*parts: str) -> str:
    """Sentences joined for the ear: the screen's separators ("·", "\\n") read as pauses, each
    part ends a sentence, markup and doubled spaces dropped."""
    sentences = [_sentence(part) for part in parts if part and part.strip()]
    return re.sub(r"\s+", " ", " ".join(sentences)).strip()


def _sentence(text: str) -> str:
    """One part as a sentence: a screen's short label ("Hello, 김민지") ends with a full stop, so
    the voice pauses after it."""
    text = re.sub(r"\[/?[a-z ]*\]", "", text.strip())  # Rich markup of a screen word ([i], [/])
    text = re.sub(r"\s*[·•]\s*", ", ", text)
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def utter(lang: Lang, public: list[str], details: list[str] | None = None,
          tone: Tone | None = None) -> Utterance:
    """An utterance of sentences; ``details`` the whole of it with the private words (None: the same)."""
    said = spoken(*public)
    full = spoken(*details) if details is not None else ""
    return Utterance(said, full if full != said else "", tone, lang)


def is_private(lang: Lang, key: str, fields: dict[str, object]) -> bool:
    """Whether the message ``key`` fills in a name, a title, an address or an amount."""
    template = t(lang, key)  # without fields: the catalog's words with their placeholders
    return any("{" + name + "}" in template for name, value in fields.items()
               if name in PRIVATE_FIELDS or isinstance(value, Won))


def _sentence_of(lang: Lang, key: str, fields: dict[str, object]) -> tuple[str, bool]:
    return t(lang, key, **fields), is_private(lang, key, fields)


def refusal_utterance(refusal: Refusal, lang: Lang) -> Utterance:
    """A notice: why, each reason, what to do next, with an error tone; a sentence that names an
    amount or a title, and the library's own words, only in the details."""
    sentences = [_sentence_of(lang, refusal.why, refusal.fields)]
    sentences += [_sentence_of(lang, reason.key, reason.fields) for reason in refusal.reasons]
    sentences.append(_sentence_of(lang, refusal.next, refusal.fields))
    if refusal.said:
        sentences.append((t(lang, "library_says", words=refusal.said), True))
    return utter(lang, [text for text, private in sentences if not private], [text for text, _ in sentences],
                 Tone.ERROR)
