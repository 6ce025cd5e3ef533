"""The kiosk's voice: how long an utterance takes from ``SpeechEngine.say`` to a whole WAV, beside
espeak-ng run by hand on the same words (the raw baseline), in the same run.

The engine writes to a folder (``speech_out``), so the figure is the making of the sound, not its
playing: the welcome prompt in Korean and in English, and one tone. The patron hears the first
sound this long after the screen changed (plus the player's start on a sound device). No target
is set; espeak-ng missing: the figures say so instead.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.report import Figure
from hardware.speech import SpeechEngine, Tone, espeak_argv, tone_wav
from kiosk_app.i18n import t


def said_once(engine: SpeechEngine, folder: Path, words: str, lang: str) -> float:
    before = len(list(folder.glob("*.txt"))) if folder.is_dir() else 0
    started = time.perf_counter()
    engine.say(words, lang)
    while len(list(folder.glob("*.txt"))) == before:
        if time.perf_counter() - started > 10:
            raise RuntimeError("no utterance written within 10 s")
        time.sleep(0.0005)
    return time.perf_counter() - started


def by_hand(espeak: str, words: str, lang: str, wav: Path) -> float:
    started = time.perf_counter()
    subprocess.run(espeak_argv(espeak, lang, 70, 150, wav), input=words.encode(), check=True,
                   capture_output=True)
    return time.perf_counter() - started


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    espeak = shutil.which("espeak-ng")
    ms = lambda samples: statistics.median(samples) * 1e3  # noqa: E731 - a one-line unit for the table below
    tone = [0.0] * args.rounds
    for index in range(args.rounds):
        started = time.perf_counter()
        tone_wav(Tone.SUCCESS)
        tone[index] = time.perf_counter() - started
    found = [Figure("a success tone made (wave, in Python), median", ms(tone), "ms")]
    if espeak is None:
        return found + [Figure("espeak-ng is not installed: no speech figures", 0, "")]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "said"
        engine = SpeechEngine(folder)
        try:
            for lang in ("ko", "en"):
                words = t(lang, "say_welcome")
                engine_s = [said_once(engine, folder, words, lang) for _ in range(args.rounds)]
                raw_s = [by_hand(espeak, words, lang, Path(scratch) / "raw.wav") for _ in range(args.rounds)]
                found.append(Figure(f"the welcome prompt, {lang} ({len(words)} characters), say() to the "
                                    "whole WAV, median", ms(engine_s), "ms",
                                    f"espeak-ng -w by hand, {lang}", ms(raw_s)))
        finally:
            engine.close()
    return found
