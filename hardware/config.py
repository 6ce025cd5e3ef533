"""How one serial device is set up. Scanner and card reader differ only in these options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hardware.framing import TERMINATORS, Terminator


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """``prefix``/``suffix`` are the extra characters a scanner can be programmed to add around
    each code (e.g. STX ``"\\x02"``); they are removed when present. ``strip_sentinels`` is for
    magstripe readers (``;2004...?``). ``max_line`` caps the bytes kept of an unfinished line."""

    name: str
    port: str
    baud: int = 9600
    terminator: Terminator = "CR"
    prefix: str = ""
    suffix: str = ""
    aim_ids: bool = False
    strip_sentinels: bool = False
    duplicate_window_s: float = 1.5
    institution: str = "0042"
    max_line: int = 256
    reconnect_max_s: float = 0.5

    def __post_init__(self) -> None:
        if self.terminator not in TERMINATORS:
            raise ValueError(f"terminator must be one of {', '.join(TERMINATORS)}")
        if not re.fullmatch(r"[0-9]{4}", self.institution):
            raise ValueError("institution must be 4 digits")
        if not 16 <= self.max_line <= 65536:
            raise ValueError("max_line must be between 16 and 65536 bytes")
        if self.duplicate_window_s < 0 or self.reconnect_max_s <= 0:
            raise ValueError("duplicate_window_s must be >= 0 and reconnect_max_s > 0")
        for affix in (self.prefix, self.suffix):
            if not affix.isascii():
                raise ValueError("prefix and suffix must be ASCII")
        if self.baud <= 0:
            raise ValueError("baud must be positive")


def card_reader(name: str, port: str, **options: Any) -> DeviceConfig:
    """A magstripe/RFID reader: the same framing, with track sentinels stripped."""
    return DeviceConfig(name, port, strip_sentinels=True, **options)
