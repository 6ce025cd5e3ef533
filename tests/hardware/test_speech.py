"""The sound output driver: tones made here, words by espeak-ng, written to a folder or played.

Files are waited for with a bounded poll (the engine works on its own thread); nothing sleeps as
a precondition."""

from __future__ import annotations

import io
import logging
import stat
import wave
from pathlib import Path

import pytest

from hardware.speech import SAMPLE_RATE, SpeechEngine, Tone, tone_seconds, tone_wav
from kiosk_testing.waiting import wait_until


def wait_for_files(folder: Path, pattern: str, count: int, timeout_s: float = 10.0) -> list[Path]:
    """The files matching ``pattern`` once there are ``count`` of them, in name order."""
    def found() -> list[Path]:
        files = sorted(folder.glob(pattern)) if folder.is_dir() else []
        return files if len(files) >= count else []

    def missing() -> str:
        there = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else "no folder"
        return f"{count} x {pattern} in {folder}; there: {there}"

    return wait_until(found, timeout_s, missing, every_s=0.01)


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as read:
        assert (read.getnchannels(), read.getsampwidth()) == (1, 2)
        return read.getnframes() / read.getframerate()


def wav_frames(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as read:
        return read.readframes(read.getnframes())


@pytest.fixture
def engine(tmp_path: Path):
    made: list[SpeechEngine] = []

    def build(**options) -> SpeechEngine:
        made.append(SpeechEngine(tmp_path / "said", **options))
        return made[-1]

    yield build
    for one in made:
        one.close()


def test_tones_are_valid_wavs_of_their_length_and_distinct():
    made = {tone: tone_wav(tone) for tone in Tone}
    for tone, data in made.items():
        assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
        assert wav_seconds(data) == pytest.approx(tone_seconds(tone), abs=2 / SAMPLE_RATE)
        assert 0.15 < wav_seconds(data) < 0.5  # short: the words follow at once
        assert max(wav_frames(data)) > 0  # not silence
    assert len({wav_frames(data) for data in made.values()}) == len(Tone)


def test_volume_scales_a_tone_and_zero_is_silent():
    loud, soft, mute = (wav_frames(tone_wav(Tone.SUCCESS, volume)) for volume in (100, 30, 0))

    def peak(frames: bytes) -> int:
        return max(abs(int.from_bytes(frames[i:i + 2], "little", signed=True)) for i in range(0, len(frames), 2))

    assert peak(loud) > 3 * peak(soft) * 0.9 > 0
    assert peak(mute) == 0


def test_files_are_numbered_in_order_with_the_words_beside_each_speech(engine, tmp_path, monkeypatch):
    fake_espeak(tmp_path, monkeypatch)
    speech = engine()
    speech.say("", "ko", tone=Tone.SUCCESS)
    speech.say("책 한 권이 반납되었습니다.", "ko", tone=Tone.ATTENTION)
    speech.say("1 book returned.", "en")
    texts = wait_for_files(tmp_path / "said", "*.txt", 2)
    names = sorted(p.name for p in (tmp_path / "said").iterdir())
    assert names == ["0001-tone-success.wav", "0002-tone-attention.wav", "0003-speech-ko.txt",
                     "0003-speech-ko.wav", "0004-speech-en.txt", "0004-speech-en.wav"]
    assert [p.read_text().strip() for p in texts] == ["책 한 권이 반납되었습니다.", "1 book returned."]
    args = (tmp_path / "espeak-args").read_text().split("\n")
    assert "-v ko -a 140 -s 150" in args[0] and "-v en" in args[1]


def test_numbering_goes_on_after_a_restart(engine, tmp_path):
    engine().say("", "en", tone=Tone.ERROR)
    wait_for_files(tmp_path / "said", "*.wav", 1)
    engine().say("", "en", tone=Tone.ATTENTION)
    assert [p.name for p in wait_for_files(tmp_path / "said", "*.wav", 2)] == [
        "0001-tone-error.wav", "0002-tone-attention.wav"]


def test_a_missing_espeak_is_logged_once_and_tones_are_still_written(engine, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    speech = engine()
    with caplog.at_level(logging.WARNING, logger="hardware.speech"):
        speech.say("어서 오세요", "ko", tone=Tone.SUCCESS)
        speech.say("welcome", "en", tone=Tone.ERROR)
        wait_for_files(tmp_path / "said", "*.wav", 2)
        assert speech.wait_idle(5)
    assert [p.name for p in sorted((tmp_path / "said").iterdir())] == ["0001-tone-success.wav",
                                                                       "0002-tone-error.wav"]
    missing = [r for r in caplog.records if "not installed" in r.getMessage()]
    assert len(missing) == 1 and "espeak-ng" in missing[0].getMessage()
    assert "어서" not in caplog.text and "welcome" not in caplog.text  # the words are never logged


def test_on_the_device_a_new_utterance_stops_the_one_playing(tmp_path, monkeypatch):
    """Played through a stand-in for aplay that records each start and its end (killed or not)."""
    bin_dir = fake_espeak(tmp_path, monkeypatch)
    log_file = tmp_path / "player-log"
    player = bin_dir / "aplay"
    player.write_text(f"#!/bin/sh\ntrap 'kill $!; echo stopped >> {log_file}; exit 143' TERM\n"
                      f"echo started >> {log_file}\n/bin/sleep 30 & wait $!\necho finished >> {log_file}\n")
    player.chmod(player.stat().st_mode | stat.S_IEXEC)
    speech = SpeechEngine(None)
    try:
        speech.say("first", "en")
        wait_until(lambda: log_file.exists() and "started" in log_file.read_text(), 10,
                   "the first utterance never started playing", every_s=0.01)
        speech.say("second", "en")
        wait_until(lambda: log_file.read_text().split() == ["started", "stopped", "started"], 10,
                   log_file.read_text, every_s=0.01)
    finally:
        speech.close()


def test_without_a_player_nothing_is_heard_and_that_is_logged_once(tmp_path, monkeypatch, caplog):
    fake_espeak(tmp_path, monkeypatch)  # PATH holds only the stand-in espeak-ng: no aplay, no paplay
    speech = SpeechEngine(None)
    try:
        with caplog.at_level(logging.WARNING, logger="hardware.speech"):
            speech.say("one", "en", tone=Tone.SUCCESS)
            assert speech.wait_idle(5)
            speech.say("two", "en")
            assert speech.wait_idle(5)
    finally:
        speech.close()
    assert len([r for r in caplog.records if "no sound player" in r.getMessage()]) == 1


@pytest.mark.parametrize(("lang", "words"), [("ko", "책 한 권이 반납되었습니다. 다음 책을 스캔하세요."),
                                             ("en", "One book returned. Scan the next book.")])
def test_the_real_espeak_ng_speaks_korean_and_english(espeak_ng, engine, tmp_path, lang, words):
    speech = engine()
    speech.say(words, lang, volume=70, rate=150)
    (text,) = wait_for_files(tmp_path / "said", "*.txt", 1)
    data = text.with_suffix(".wav").read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert wav_seconds(data) > 0.3
    assert any(wav_frames(data)), "silence"


def test_the_real_espeak_ng_speaks_slower_at_a_lower_rate(espeak_ng, engine, tmp_path):
    speech = engine()
    speech.say("One book returned. Scan the next book.", "en", rate=300)
    speech.say("One book returned. Scan the next book.", "en", rate=100)
    fast, slow = (p.with_suffix(".wav").read_bytes() for p in wait_for_files(tmp_path / "said", "*.txt", 2))
    assert wav_seconds(slow) > 1.8 * wav_seconds(fast)


def fake_espeak(tmp_path: Path, monkeypatch) -> Path:
    """A stand-in espeak-ng alone on PATH: records its arguments, writes a short WAV to ``-w``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    silence = bin_dir / "silence.wav"
    silence.write_bytes(tone_wav(Tone.ATTENTION, 0))
    script = bin_dir / "espeak-ng"
    script.write_text("#!/bin/sh\n"
                      f"echo \"$*\" >> {tmp_path / 'espeak-args'}\n"
                      "while [ $# -gt 0 ]; do if [ \"$1\" = -w ]; then out=$2; fi; shift; done\n"
                      f"/bin/cat > /dev/null\n/bin/cp {silence} \"$out\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir
