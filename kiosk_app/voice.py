"""The patron's voice settings for one visit, and the one place utterances reach the engine.

The library sets the defaults (``speech``, ``speech_volume``, ``speech_rate``, ``speech_details``);
the patron changes them for the visit with the keys of :data:`KEYS` (app actions), and they go
back to the library's defaults when the visit ends, like the language.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hardware.speech import SpeechEngine
from kiosk_app.utterance import Utterance

if TYPE_CHECKING:
    from sync_agent.settings import Settings

VOLUME_STEP = 10
VOLUME_RANGE = (10, 100)
"""The patron cannot turn it down to nothing by accident: speech off is its own key."""
RATE_STEP = 20
RATE_RANGE = (80, 300)
"""Words per minute (espeak-ng's own default is 175)."""

KEYS = (
    ("f1", "speech_keys", "say the keys"),
    ("f2", "speech_toggle", "speech on / off"),
    ("f3", "speech_softer", "softer"),
    ("f4", "speech_louder", "louder"),
    ("f5", "speech_slower", "slower"),
    ("f6", "speech_faster", "faster"),
    ("f7", "speech_details", "speak names, titles and amounts / stop"),
    ("f8", "speech_repeat", "say it again"),
)
"""(key, app action, what it does): function keys, which neither a keyboard-wedge scanner (digits
and Enter) nor a patron typing by accident sends; on a keypad with an earphone jack they are
mapped to its buttons."""


@dataclass(frozen=True, slots=True)
class VisitVoice:
    on: bool
    volume: int
    rate: int
    details: bool

    @classmethod
    def defaults(cls, settings: Settings) -> VisitVoice:
        return cls(settings.speech == "on", settings.speech_volume, settings.speech_rate,
                   settings.speech_details == "always")


def _step(value: int, step: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value + step))


class Speaker:
    """Hands utterances to the engine in the visit's voice; remembers the last one (to repeat)."""

    def __init__(self, settings: Settings, engine: SpeechEngine | None) -> None:
        self.settings = settings
        self.engine = engine
        self.voice = VisitVoice.defaults(settings)
        self.last: Utterance | None = None

    def say(self, utterance: Utterance, *, interrupt: bool = True, remember: bool = True) -> None:
        if remember:
            self.last = utterance
        if self.voice.on and self.engine is not None:
            self.engine.say(utterance.text(self.voice.details), utterance.lang, tone=utterance.tone,
                            volume=self.voice.volume, rate=self.voice.rate, interrupt=interrupt)

    def reset(self) -> None:
        """The visit ended: the library's defaults, and nothing of the last patron to repeat."""
        self.voice = VisitVoice.defaults(self.settings)
        self.last = None

    def toggle(self) -> bool:
        self.voice = replace(self.voice, on=not self.voice.on)
        return self.voice.on

    def louder(self, steps: int) -> int:
        self.voice = replace(self.voice, volume=_step(self.voice.volume, steps * VOLUME_STEP, VOLUME_RANGE))
        return self.voice.volume

    def faster(self, steps: int) -> int:
        self.voice = replace(self.voice, rate=_step(self.voice.rate, steps * RATE_STEP, RATE_RANGE))
        return self.voice.rate

    def toggle_details(self) -> bool | None:
        """Details on or off for the visit; None where the library never speaks them."""
        if self.settings.speech_details == "never":
            return None
        self.voice = replace(self.voice, details=not self.voice.details)
        return self.voice.details

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
