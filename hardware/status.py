"""Device health as the technician screen shows it: state, reason, last scan and counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DeviceState(StrEnum):
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A snapshot; the driver publishes a new one on every change.

    ``last_scan_at`` is wall-clock time (``time.time()``) of the last valid scan, for display.
    ``duplicates`` counts re-triggers merged into an earlier scan (neither good nor rejected).
    """

    name: str
    port: str
    state: DeviceState
    reason: str | None = None
    last_scan_at: float | None = None
    good: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
