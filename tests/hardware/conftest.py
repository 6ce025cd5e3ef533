"""Real pseudo-terminals and a running driver, with a collector for what it reports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hardware.events import Rejection, ScanEvent
from hardware.serial_reader import DeviceConfig, SerialDevice
from hardware.sim import VirtualScanner
from hardware.status import DeviceState, DeviceStatus

DEADLINE_S = 10.0


def wait_for(predicate: Callable[[], bool], timeout: float = DEADLINE_S) -> None:
    """Poll until ``predicate`` holds; generous, since the machine is shared."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.005)


class Collector:
    """Everything a device reported, in order, safe to read from the test thread."""

    def __init__(self) -> None:
        self.scans: list[ScanEvent] = []
        self.rejections: list[Rejection] = []
        self.statuses: list[DeviceStatus] = []
        self._lock = threading.Lock()

    def on_scan(self, event: ScanEvent) -> None:
        with self._lock:
            self.scans.append(event)

    def on_reject(self, rejection: Rejection) -> None:
        with self._lock:
            self.rejections.append(rejection)

    def on_status(self, status: DeviceStatus) -> None:
        with self._lock:
            self.statuses.append(status)

    @property
    def codes(self) -> list[str]:
        with self._lock:
            return [event.code for event in self.scans]


@pytest.fixture
def scanner() -> Iterator[VirtualScanner]:
    with VirtualScanner() as virtual:
        yield virtual


@pytest.fixture
def run_device() -> Iterator[Callable[..., tuple[SerialDevice, Collector]]]:
    """``run_device(port, **options)`` starts a driver; every one started is stopped afterwards."""
    started: list[SerialDevice] = []

    def start(port: str, *, wait_connected: bool = True, **options) -> tuple[SerialDevice, Collector]:
        collector = Collector()
        device = SerialDevice(DeviceConfig(options.pop("name", "scanner"), port, **options),
                              collector.on_scan, collector.on_status, collector.on_reject)
        device.start()
        started.append(device)
        if wait_connected:
            wait_for(lambda: device.status.state is DeviceState.CONNECTED)
        return device, collector

    yield start
    for device in started:
        device.stop()


@pytest.fixture
def wait() -> Callable[..., None]:
    return wait_for
