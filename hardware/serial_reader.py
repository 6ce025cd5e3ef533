"""A serial scanner or card reader on pyserial: a reader thread that decodes, reports and reconnects.

The thread owns the port. It hands each valid scan to ``on_scan``, each plausible rejection to
``on_reject`` and each status change to ``on_status``, all from the reader thread (a Textual app
marshals them with ``call_from_thread``). A callback that raises is logged and the reader goes on.
When the port goes away (unplugged, read error) or cannot be opened (absent, permission denied)
the status says why and the thread retries with exponential backoff capped at
``config.reconnect_max_s``, so a returning device is read again within about that time.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import serial

from hardware.config import DeviceConfig
from hardware.decoder import Decoded, StreamDecoder
from hardware.events import Rejection, ScanEvent
from hardware.status import DeviceState, DeviceStatus

__all__ = ["DeviceConfig", "SerialDevice"]

log = logging.getLogger(__name__)

FIRST_RETRY_S = 0.05
READ_TIMEOUT_S = 0.5
JOIN_TIMEOUT_S = 2.0
_PERMISSION = {errno.EACCES, errno.EPERM}
_ABSENT = {errno.ENOENT, errno.ENODEV, errno.ENXIO}


class SerialDevice:
    def __init__(
        self,
        config: DeviceConfig,
        on_scan: Callable[[ScanEvent], None],
        on_status: Callable[[DeviceStatus], None] | None = None,
        on_reject: Callable[[Rejection], None] | None = None,
    ) -> None:
        self.config = config
        self._on_scan = on_scan
        self._on_status = on_status
        self._on_reject = on_reject
        self._decoder = StreamDecoder(config)
        self._lock = threading.Lock()
        self._state = DeviceState.STOPPED
        self._reason: str | None = None
        self._stop = threading.Event()
        self._port: serial.Serial | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError(f"{self.config.name} is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"serial-{self.config.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and close the port; returns once the thread has ended (at most
        ``JOIN_TIMEOUT_S`` if a callback is stuck). From a callback it only asks the thread to end."""
        self._stop.set()
        port = self._port
        if port is not None:
            port.cancel_read()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT_S)
            self._thread = None

    @property
    def status(self) -> DeviceStatus:
        with self._lock:
            tally = self._decoder.screener.tally
            return DeviceStatus(
                name=self.config.name, port=self.config.port, state=self._state,
                reason=self._reason, last_scan_at=tally.last_scan_at, good=tally.good,
                rejected=tally.rejected, duplicates=tally.duplicates,
                rejected_by_reason={str(reason): n for reason, n in tally.by_reason.items()},
            )

    def __enter__(self) -> SerialDevice:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        delay = FIRST_RETRY_S
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError, ValueError) as exc:
                self._set_state(*_open_failure(exc))
                self._stop.wait(delay)
                delay = min(delay * 2, self.config.reconnect_max_s)
                continue
            delay = FIRST_RETRY_S
            self._set_state(DeviceState.CONNECTED, None)
            try:
                self._pump(port)
            except (serial.SerialException, OSError) as exc:
                log.info("%s: read failed: %s", self.config.name, exc)
                self._lost("device disconnected")
            except Exception as exc:  # a bug must not end the reader; report it and reconnect
                log.exception("%s: reader failed", self.config.name)
                self._lost(f"reader failed: {exc!r}", DeviceState.ERROR)
                self._stop.wait(self.config.reconnect_max_s)
            finally:
                self._port = None
                port.close()
        self._set_state(DeviceState.STOPPED, None)

    def _open(self) -> serial.Serial:
        port = serial.Serial(self.config.port, self.config.baud, timeout=READ_TIMEOUT_S,
                             exclusive=True)
        self._port = port
        return port

    def _pump(self, port: serial.Serial) -> None:
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            if data:
                with self._lock:
                    decoded = self._decoder.feed(data, time.monotonic())
                self._deliver(decoded)

    def _lost(self, reason: str, state: DeviceState = DeviceState.RECONNECTING) -> None:
        with self._lock:
            partial = self._decoder.flush(time.monotonic())
        if partial is not None:
            self._deliver([partial])
        self._set_state(state, reason)

    def _deliver(self, decoded: list[Decoded]) -> None:
        for item in decoded:
            if isinstance(item, ScanEvent):
                self._call(self._on_scan, item)
            elif item.plausible and self._on_reject is not None:
                self._call(self._on_reject, item)
        if decoded and self._on_status is not None:
            self._call(self._on_status, self.status)

    def _set_state(self, state: DeviceState, reason: str | None) -> None:
        with self._lock:
            changed = (state, reason) != (self._state, self._reason)
            self._state, self._reason = state, reason
        if changed:
            if state in (DeviceState.ERROR, DeviceState.RECONNECTING):
                log.warning("%s (%s): %s: %s", self.config.name, self.config.port, state, reason)
            if self._on_status is not None:
                self._call(self._on_status, self.status)

    def _call(self, callback: Callable[[Any], None], argument: object) -> None:
        try:
            callback(argument)
        except Exception:
            log.exception("%s: callback %r failed", self.config.name, callback)


def _open_failure(exc: Exception) -> tuple[DeviceState, str]:
    """The state and technician-readable reason for a port that cannot be opened."""
    code = getattr(exc, "errno", None)
    if code in _ABSENT:
        return DeviceState.RECONNECTING, "port not found (unplugged?)"
    if code in _PERMISSION:
        return DeviceState.ERROR, "permission denied (is the kiosk user in the dialout group?)"
    if code == errno.EAGAIN or "exclusively lock" in str(exc):
        return DeviceState.ERROR, "port in use by another program"
    if code == errno.ENOTTY or "Inappropriate ioctl" in str(exc):
        return DeviceState.ERROR, "not a serial device"
    return DeviceState.ERROR, str(exc) or type(exc).__name__
