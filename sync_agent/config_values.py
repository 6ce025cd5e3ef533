"""Where the configuration comes from, and the values read the same way with and without the
settings model: the file's default path, the environment's prefix, a display size.

Apart from :mod:`sync_agent.settings` (which re-exports them) because that module imports pydantic,
and ``kiosk run`` reads a few keys before it, to draw its first frame (:mod:`kiosk_app.first_paint`):
both read them through this one module, so they cannot disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/kiosk/kiosk.toml")
ENV_PREFIX = "KIOSK_"
_SIZE_MM = re.compile(r"\s*(\d+(?:\.\d+)?)\s*[xX×]\s*(\d+(?:\.\d+)?)\s*")


def parse_size_mm(value: str) -> tuple[float, float]:
    """``"476x268"`` as (width, height) in mm; a clear ValueError for anything else."""
    match = _SIZE_MM.fullmatch(value)
    if not match or not all(20 <= float(part) <= 3000 for part in match.groups()):
        raise ValueError("must be WIDTHxHEIGHT in mm, each 20 to 3000, e.g. 476x268")
    return float(match[1]), float(match[2])
