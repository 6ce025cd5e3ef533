"""The serial scanner and card reader, wired to the app: configs from settings, callbacks that
post messages (the reader threads never touch the screen), and status written to the store so that
``kiosk-sync status`` and the technician screen see the devices too.

A driver reports status after every read (its counters change), but the store copy is for other
processes: a state change is written at once, counter changes at most once a second, so a burst of
scans does not put an fsync'd write per scan beside the returns competing for the same file."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from textual.app import App

from hardware.config import DeviceConfig, card_reader
from hardware.events import Rejection, ScanEvent
from hardware.serial_reader import SerialDevice
from hardware.status import DeviceStatus
from kiosk_app.messages import DeviceChanged, Scanned, ScanRejected
from sync_agent.settings import Settings
from sync_agent.store.database import Store, StoreError
from sync_agent.store.status import record_device_status

log = logging.getLogger(__name__)

RECORD_EVERY_S = 1.0
"""Counter-only status changes are written to the store at most this often per device."""


def device_configs(settings: Settings) -> list[DeviceConfig]:
    """The scanner, and the card reader when it has a port of its own."""
    configs = []
    window, institution = settings.duplicate_window_s, settings.institution
    if settings.scanner_port:
        configs.append(DeviceConfig("scanner", settings.scanner_port, baud=settings.scanner_baud,
                                    terminator=settings.scanner_terminator, duplicate_window_s=window,
                                    institution=institution))
    if settings.card_reader_port and settings.card_reader_port != settings.scanner_port:
        configs.append(card_reader("card_reader", settings.card_reader_port, baud=settings.card_reader_baud,
                                   duplicate_window_s=window, institution=institution))
    return configs


class Devices:
    """Starts and stops the serial devices of one app."""

    def __init__(self, app: App[Any], configs: list[DeviceConfig], store: Store | None) -> None:
        self.app = app
        self.store = store
        self.devices = [SerialDevice(config, self._scan, self._status, self._reject)
                        for config in configs]
        self._lock = threading.Lock()
        self._latest: dict[str, DeviceStatus] = {}
        self._recorded_state: dict[str, tuple[str, str | None]] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._others: dict[str, DeviceStatus] = {}

    def start(self) -> None:
        for device in self.devices:
            device.start()

    def stop(self) -> None:
        for device in self.devices:
            device.stop()
        with self._lock:
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()
        for status in list(self._latest.values()):
            self._record(status)

    def statuses(self) -> list[DeviceStatus]:
        return [device.status for device in self.devices] + list(self._others.values())

    def report(self, status: DeviceStatus) -> None:
        """A device that is not a serial reader (the receipt printer) says how it is: shown and
        recorded like the scanners."""
        self._others[status.name] = status
        self._status(status)

    def _scan(self, event: ScanEvent) -> None:
        self.app.post_message(Scanned(event.kind, event.code))

    def _reject(self, rejection: Rejection) -> None:
        if rejection.plausible:
            self.app.post_message(ScanRejected(rejection))

    def _status(self, status: DeviceStatus) -> None:
        self.app.post_message(DeviceChanged(status))
        if self.store is None:
            return
        with self._lock:
            self._latest[status.name] = status
            if (status.state, status.reason) == self._recorded_state.get(status.name):
                if status.name not in self._timers:  # counters only: one write a second at most
                    timer = threading.Timer(RECORD_EVERY_S, self._flush, (status.name,))
                    timer.daemon = True
                    self._timers[status.name] = timer
                    timer.start()
                return
        self._record(status)

    def _flush(self, name: str) -> None:
        with self._lock:
            self._timers.pop(name, None)
            status = self._latest[name]
        self._record(status)

    def _record(self, status: DeviceStatus) -> None:
        assert self.store is not None
        try:
            record_device_status(self.store, status.name, dataclasses.asdict(status))
        except StoreError as exc:
            log.warning("device %s: status not recorded: %s", status.name, exc)
            return
        with self._lock:
            self._recorded_state[status.name] = (status.state, status.reason)
