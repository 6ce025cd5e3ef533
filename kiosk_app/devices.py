"""The serial scanner and card reader, wired to the app: configs from settings, callbacks that
post messages (the reader threads never touch the screen), and status written to the store so that
``kiosk-sync status`` and the technician screen see the devices too."""

from __future__ import annotations

import dataclasses
import logging

from textual.app import App

from hardware.config import DeviceConfig, card_reader
from hardware.events import Rejection, ScanEvent
from hardware.serial_reader import SerialDevice
from hardware.status import DeviceStatus
from kiosk_app.messages import DeviceChanged, Scanned, ScanRejected
from sync_agent.settings import Settings
from sync_agent.status import record_device_status
from sync_agent.store import Store, StoreError

log = logging.getLogger(__name__)


def device_configs(settings: Settings) -> list[DeviceConfig]:
    """The scanner, and the card reader when it has a port of its own."""
    configs = []
    common = {"duplicate_window_s": settings.duplicate_window_s, "institution": settings.institution}
    if settings.scanner_port:
        configs.append(DeviceConfig("scanner", settings.scanner_port, baud=settings.scanner_baud,
                                    terminator=settings.scanner_terminator, **common))
    if settings.card_reader_port and settings.card_reader_port != settings.scanner_port:
        configs.append(card_reader("card_reader", settings.card_reader_port,
                                   baud=settings.card_reader_baud, **common))
    return configs


class Devices:
    """Starts and stops the serial devices of one app."""

    def __init__(self, app: App[object], configs: list[DeviceConfig], store: Store | None) -> None:
        self.app = app
        self.store = store
        self.devices = [SerialDevice(config, self._scan, self._status, self._reject)
                        for config in configs]

    def start(self) -> None:
        for device in self.devices:
            device.start()

    def stop(self) -> None:
        for device in self.devices:
            device.stop()

    def statuses(self) -> list[DeviceStatus]:
        return [device.status for device in self.devices]

    def _scan(self, event: ScanEvent) -> None:
        self.app.post_message(Scanned(event.kind, event.code))

    def _reject(self, rejection: Rejection) -> None:
        if rejection.plausible:
            self.app.post_message(ScanRejected(rejection))

    def _status(self, status: DeviceStatus) -> None:
        self.app.post_message(DeviceChanged(status))
        if self.store is None:
            return
        try:
            record_device_status(self.store, status.name, dataclasses.asdict(status))
        except StoreError as exc:
            log.warning("device %s: status not recorded: %s", status.name, exc)
