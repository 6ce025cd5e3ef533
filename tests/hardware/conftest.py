"""Real pseudo-terminals and a running driver, with a collector for what it reports."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from hardware.events import Rejection, ScanEvent
from hardware.serial_reader import DeviceConfig, SerialDevice
from hardware.sim import VirtualScanner
from hardware.status import DeviceState, DeviceStatus
from kiosk_testing.waiting import wait_until

DEADLINE_S = 10.0  # generous: the machine is shared
wait = partial(wait_until, timeout_s=DEADLINE_S, every_s=0.005)


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
            wait(lambda: device.status.state is DeviceState.CONNECTED)
        return device, collector

    yield start
    for device in started:
        device.stop()


@pytest.fixture(name="wait")
def wait_fixture() -> Callable[..., object]:
    """``wait(predicate)``: the drivers' own threads reach a state within milliseconds, so it looks
    every 5 ms (a test of many scans would spend most of its time between looks otherwise)."""
    return wait
