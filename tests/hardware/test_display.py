"""The display driver: wlr-randr's answer read, and the output's scale set (the patron's 200 %
enlargement). A stand-in wlr-randr on PATH answers as Debian 13's does and writes down each call;
the real one under cage is driven by tests/deploy/test_display_stack.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hardware.display import DisplayError, Output, OutputScale, output_scale, outputs_from_wlr_randr
from kiosk_testing.display_grids import wlr_randr_answer as randr


def test_the_current_mode_and_the_edid_size_are_read():
    [output] = outputs_from_wlr_randr(randr(1920, 1080, (476, 268)))
    assert output == Output("HDMI-A-1", (1920, 1080), (476.0, 268.0))


def test_a_panel_turned_to_portrait_is_seen_as_the_patron_sees_it():
    [output] = outputs_from_wlr_randr(randr(1920, 1080, (476, 268), transform="90"))
    assert output.pixels == (1080, 1920) and output.size_mm == (268.0, 476.0)


def test_an_output_without_a_physical_size_has_none():
    [output] = outputs_from_wlr_randr(randr(1280, 720))
    assert output.size_mm is None


@pytest.mark.parametrize("text", ["", "{}", "[{\"enabled\": true}]", "not json"])
def test_an_answer_that_is_not_wlr_randrs_is_refused_by_name(text):
    with pytest.raises(ValueError, match="not wlr-randr's JSON"):
        outputs_from_wlr_randr(text)


def stand_in(folder: Path, monkeypatch, answer: str, scale_exit: int = 0) -> Path:
    """wlr-randr on PATH: ``--json`` answers ``answer``; ``--output … --scale`` is written down
    and exits ``scale_exit`` (a refusal says why on stderr, as the real one does)."""
    calls = folder / "calls"
    script = folder / "wlr-randr"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {calls}
if [ "$1" = "--json" ]; then cat <<'END'
{answer}
END
exit 0; fi
[ {scale_exit} = 0 ] || echo "failed to apply output configuration" >&2
exit {scale_exit}
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_enlarging_scales_every_enabled_output_by_name(tmp_path, monkeypatch):
    calls = stand_in(tmp_path, monkeypatch, randr(1920, 1080, name="HEADLESS-1"))
    OutputScale().set(2)
    OutputScale().set(1)
    assert calls.read_text().splitlines() == [
        "--json", "--output HEADLESS-1 --scale 2", "--json", "--output HEADLESS-1 --scale 1"]


def test_a_compositor_that_refuses_the_scale_is_an_error_that_says_so(tmp_path, monkeypatch):
    stand_in(tmp_path, monkeypatch, randr(1920, 1080), scale_exit=1)
    with pytest.raises(DisplayError, match="exited 1: failed to apply output configuration"):
        OutputScale().set(2)


def test_a_compositor_with_no_output_enabled_changes_nothing(tmp_path, monkeypatch):
    calls = stand_in(tmp_path, monkeypatch, "[]")
    with pytest.raises(DisplayError, match="no enabled output"):
        OutputScale().set(2)
    assert calls.read_text().splitlines() == ["--json"]


def test_without_a_compositor_nothing_offers_to_enlarge(tmp_path, monkeypatch):
    stand_in(tmp_path, monkeypatch, "[]")
    assert output_scale({"PATH": os.environ["PATH"]}) is None
    assert output_scale({"PATH": str(tmp_path / "empty"), "WAYLAND_DISPLAY": "wayland-0"}) is None
    assert isinstance(output_scale({"PATH": os.environ["PATH"], "WAYLAND_DISPLAY": "wayland-0"}),
                      OutputScale)
