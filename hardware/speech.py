"""The kiosk's voice: spoken prompts and outcomes, and three short tones, through earphones.

Why: Korean law on kiosks (the Disability Discrimination Act and its kiosk accessibility rules)
asks a public kiosk to speak what it shows, through an earphone jack, at a volume and speed the
person in front of it sets. This module is the sound output driver, as ``escpos_printer`` is the
paper one: it knows nothing of screens or visits; the app hands it a text, a language, a tone,
a volume and a rate.

**Speech** is espeak-ng, run as a program (``espeak-ng -v ko|en -a AMPLITUDE -s WPM -w FILE``,
the text on its standard input). It is the only speech engine in Debian that speaks Korean
offline: the kiosk has no network to a cloud voice, and Debian packages no other Korean voice
(festival, flite, pico and mbrola have none usable). Its voices are formant synthesis: clearly
robotic, but quick (a prompt of a few sentences is made in about 20 ms, docs/benchmarks.md) and
intelligible for the short sentences a kiosk says. The English voice is the better of the two.
The Korean one applies liaison and palatalization (같이 as 가치) but misses some assimilations
(국물 is not nasalized) and its melody is flat; digits are read as Sino-Korean numbers (1권 as
일 권, where a person says 한 권), fine for counts and dates. Latin letters inside Korean text
switch to the English voice for that word, so an English title is heard in English.

**Tones** are made here, not spoken (the ``wave`` module, 16-bit mono at espeak-ng's 22050 Hz):
success is a rising two-note, attention one mid note, error a low double buzz; each well under
half a second, so they never hold up the words that follow.

**Where sound goes**: with ``out_dir`` unset, to the default sound device through ``aplay``
(alsa-utils; ``paplay`` where PulseAudio or PipeWire runs instead); with ``out_dir`` a folder, each
tone and utterance is written there as a WAV file with an increasing number
(``0001-tone-success.wav``, ``0002-speech-ko.wav``), a speech WAV with a ``.txt`` beside it holding
the words (written last: its presence means both are complete). Tests and a technician
checking the wording read those.

**Never in the way**: the work happens on one worker thread; :meth:`SpeechEngine.say` only queues
and returns. A new utterance interrupts one still playing (its player is stopped) and replaces
whatever waited, so a patron scanning fast hears the latest outcome, not a backlog; written to a
folder, every one is kept. A missing espeak-ng or player is logged once, and the rest goes on
(tones need no espeak-ng). The words are never logged: they may hold a patron's name or titles.
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import wave
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
"""espeak-ng's own rate, so tones and speech share one player setting."""
VOICES = {"ko": "ko", "en": "en"}
"""The patron's language → espeak-ng voice."""
PLAYERS = (("aplay", "-q"), ("paplay",))
"""Tried in this order when sound goes to the device."""
SYNTH_TIMEOUT_S = 10.0
POLL_S = 0.02
"""How often a playing sound checks whether a newer one interrupts it."""
MAX_WAITING = 64
"""Requests kept while writing to a folder (each is kept there, none is interrupted)."""


class Tone(StrEnum):
    SUCCESS = "success"
    ATTENTION = "attention"
    ERROR = "error"


TONE_NOTES: dict[Tone, tuple[tuple[float, float, bool], ...]] = {
    # (frequency in Hz, 0 for a pause; seconds; square wave: a buzz rather than a note)
    Tone.SUCCESS: ((660.0, 0.10, False), (0.0, 0.03, False), (990.0, 0.16, False)),
    Tone.ATTENTION: ((740.0, 0.22, False),),
    Tone.ERROR: ((150.0, 0.14, True), (0.0, 0.07, False), (150.0, 0.14, True)),
}


def tone_seconds(tone: Tone) -> float:
    return sum(seconds for _, seconds, _ in TONE_NOTES[tone])


def tone_wav(tone: Tone, volume: int = 70) -> bytes:
    """The tone as a whole WAV file (16-bit mono PCM), ``volume`` 0-100."""
    peak = 0.6 * 32767 * max(0, min(volume, 100)) / 100
    frames = bytearray()
    for frequency, seconds, square in TONE_NOTES[tone]:
        count = round(seconds * SAMPLE_RATE)
        fade = min(count // 2, round(0.008 * SAMPLE_RATE))  # no click at the edges of a note
        for n in range(count):
            if not frequency:
                frames += b"\0\0"
                continue
            wave_at = math.sin(2 * math.pi * frequency * n / SAMPLE_RATE)
            if square:
                wave_at = 0.7 if wave_at >= 0 else -0.7
            envelope = min(1.0, n / fade, (count - 1 - n) / fade) if fade else 1.0
            frames += struct.pack("<h", round(peak * wave_at * envelope))
    return wav_bytes(bytes(frames))


def wav_bytes(frames: bytes) -> bytes:
    import io

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames)
    return buffer.getvalue()


def espeak_argv(espeak: str, lang: str, volume: int, rate: int, wav: Path) -> list[str]:
    """The command that writes the words read from standard input to ``wav``: ``-a`` is espeak-ng's
    amplitude (0-200, 100 its default), twice the kiosk's volume; ``-s`` words per minute."""
    amplitude = 2 * max(0, min(volume, 100))
    return [espeak, "-v", VOICES.get(lang, "en"), "-a", str(amplitude), "-s", str(rate), "-b", "1",
            "-w", str(wav)]


@dataclass(frozen=True, slots=True)
class Request:
    """One turn of sound: a tone, then the words (either may be absent)."""

    text: str
    lang: str
    tone: Tone | None
    volume: int
    rate: int


class SpeechEngine:
    """Speaks and plays tones off the caller's thread; ``out_dir`` set: writes WAV files there."""

    def __init__(self, out_dir: Path | None = None, *, espeak: str = "espeak-ng",
                 players: tuple[tuple[str, ...], ...] = PLAYERS) -> None:
        self.out_dir = out_dir
        self.espeak = espeak
        self.players = players
        self._waiting: deque[Request] = deque()
        self._lock = threading.Condition()
        self._generation = 0
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._playing: subprocess.Popen[bytes] | None = None
        self._number = 0
        self._warned: set[str] = set()

    # -- the caller's side ----------------------------------------------------------------------

    def say(self, text: str, lang: str, *, tone: Tone | None = None, volume: int = 70, rate: int = 150,
            interrupt: bool = True) -> None:
        """Queue a tone and/or words and return at once; ``interrupt`` stops what plays and drops
        what waits (on the device; a folder keeps everything)."""
        if not text.strip() and tone is None:
            return
        request = Request(text.strip(), lang, tone, volume, rate)
        with self._lock:
            if self._closed:
                return
            if interrupt and self.out_dir is None:
                self._waiting.clear()
                self._generation += 1
                self._stop_player()
            if len(self._waiting) >= MAX_WAITING:
                self._waiting.popleft()
            self._waiting.append(request)
            self._lock.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="speech", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """True once nothing waits or plays (shutdown, benchmarks); False after ``timeout_s``."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._waiting and not self._busy, timeout_s)

    def close(self) -> None:
        """Stop what plays, drop what waits, end the worker."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            self._generation += 1
            self._stop_player()
            self._lock.notify_all()

    # -- the worker -----------------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._waiting or self._closed)
                if self._closed:
                    return
                request = self._waiting.popleft()
                generation = self._generation
                self._busy = True
            try:
                self._sound(request, generation)
            except Exception:  # the kiosk goes on without sound, never without its screen
                log.exception("speech: a sound failed")
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self._closed

    def _sound(self, request: Request, generation: int) -> None:
        if request.tone is not None:
            self._emit(f"tone-{request.tone.value}", tone_wav(request.tone, request.volume), None, generation)
        if request.text and self._current(generation):
            with tempfile.TemporaryDirectory(prefix="kiosk-speech-") as scratch:
                wav = Path(scratch) / "speech.wav"
                if self._synthesize(request, wav):
                    self._emit(f"speech-{request.lang}", wav.read_bytes(), request.text, generation)

    def _synthesize(self, request: Request, wav: Path) -> bool:
        espeak = shutil.which(self.espeak)
        if espeak is None:
            self._warn_once("espeak", "speech: %s is not installed (Debian package espeak-ng): "
                            "tones only, no words", self.espeak)
            return False
        try:
            done = subprocess.run(espeak_argv(espeak, request.lang, request.volume, request.rate, wav),
                                  input=request.text.encode(), capture_output=True, timeout=SYNTH_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("speech: espeak-ng could not run: %s", exc)
            return False
        if done.returncode != 0 or not wav.is_file():
            log.warning("speech: espeak-ng failed (exit %d): %s", done.returncode,
                        done.stderr.decode(errors="replace").strip()[-200:])
            return False
        return True

    def _emit(self, name: str, data: bytes, text: str | None, generation: int) -> None:
        if self.out_dir is not None:
            self._write(name, data, text)
        elif self._current(generation):
            self._play(data, generation)

    def _write(self, name: str, data: bytes, text: str | None) -> None:
        folder = self.out_dir
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        if not self._number:
            self._number = max((int(m[1]) for p in folder.iterdir() if (m := re.match(r"(\d+)-", p.name))),
                               default=0)
        self._number += 1
        stem = folder / f"{self._number:04d}-{name}"
        _write_whole(stem.with_suffix(".wav"), data)
        if text is not None:
            _write_whole(stem.with_suffix(".txt"), text.encode() + b"\n")

    def _play(self, data: bytes, generation: int) -> None:
        player = next((p for p in self.players if shutil.which(p[0])), None)
        if player is None:
            self._warn_once("player", "speech: no sound player (%s) is installed (Debian package "
                            "alsa-utils): nothing is heard", ", ".join(p[0] for p in self.players))
            return
        with tempfile.NamedTemporaryFile(prefix="kiosk-sound-", suffix=".wav") as sound, \
                tempfile.TemporaryFile() as errors:  # a file: a pipe left open by a child would hang a read
            sound.write(data)
            sound.flush()
            with self._lock:
                if not self._current(generation):
                    return
                try:
                    self._playing = subprocess.Popen([*player, sound.name], stdin=subprocess.DEVNULL,
                                                     stdout=subprocess.DEVNULL, stderr=errors)
                except OSError as exc:
                    log.warning("speech: %s could not start: %s", player[0], exc)
                    return
                playing = self._playing
            try:
                while playing.poll() is None:
                    try:
                        playing.wait(POLL_S)
                    except subprocess.TimeoutExpired:
                        pass
            finally:
                with self._lock:
                    if self._playing is playing:
                        self._playing = None
            if playing.returncode != 0 and self._current(generation):
                errors.seek(0)
                self._warn_once(f"play-{playing.returncode}", "speech: %s failed (exit %d): %s", player[0],
                                playing.returncode, errors.read().decode(errors="replace").strip()[-200:])

    def _stop_player(self) -> None:
        """Under the lock: stop the sound that plays (a newer one replaces it)."""
        if self._playing is not None and self._playing.poll() is None:
            self._playing.terminate()

    def _warn_once(self, what: str, message: str, *args: object) -> None:
        if what not in self._warned:
            self._warned.add(what)
            log.warning(message, *args)


def _write_whole(path: Path, data: bytes) -> None:
    """Written under another name, then renamed: whoever sees the file sees all of it."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)
