"""The docs stay true to the code: every setting is in the README's configuration reference."""

from pathlib import Path

from sync_agent.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_readme_lists_every_setting_with_its_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines()
            if line.startswith("| `")}
    for name in Settings.model_fields:
        assert name in rows, f"README configuration table lacks {name}"
        assert f"`KIOSK_{name.upper()}`" in rows[name]
    assert set(rows) == set(Settings.model_fields), "README lists a setting that does not exist"


def test_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
