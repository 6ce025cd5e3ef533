"""Messages the hardware adapter posts to the app from the serial reader threads."""

from __future__ import annotations

from textual.message import Message

from hardware.codes import CodeKind
from hardware.events import Rejection
from hardware.status import DeviceStatus


class Scanned(Message):
    """A valid scan (member card, item label or ISBN)."""

    def __init__(self, kind: CodeKind, code: str) -> None:
        super().__init__()
        self.kind = kind
        self.code = code


class ScanRejected(Message):
    """A plausible scan that is not valid (wrong check digit, another library's label...)."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__()
        self.rejection = rejection


class DeviceChanged(Message):
    def __init__(self, status: DeviceStatus) -> None:
        super().__init__()
        self.status = status
