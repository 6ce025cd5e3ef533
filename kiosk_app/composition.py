"""The one place the kiosk is put together: a store and a central port, then the relay, the
use-cases and the rest of the app's core, handed to the app.

``kiosk run`` (:mod:`kiosk_app.start`, which attaches :func:`build_core`'s core to an app already
on screen), the demo, the screenshots, the benchmarks and the tests (:func:`build_kiosk`) all build
their kiosk here, so the wiring (which relay role, which use-cases get which store) is written once
and cannot drift between the kiosk that runs and the kiosk that is tested."""

from __future__ import annotations

from typing import Any, TypeVar

from hardware.display import output_scale
from hardware.speech import SpeechEngine
from kiosk_app.app import KioskApp
from kiosk_app.core import KioskCore
from kiosk_app.devices import Devices, device_configs
from kiosk_app.first_paint import FirstPaint
from kiosk_app.lending import Lending
from kiosk_app.pin_guard import PinGuard
from kiosk_app.receipt_desk import ReceiptDesk
from kiosk_app.tech_service import TechService
from kiosk_app.voice import Speaker
from sync_agent.agent.relay import Relay
from sync_agent.central.port import Central
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.status import breaker_recorder

AppT = TypeVar("AppT", bound=KioskApp)


def build_core(app: KioskApp, settings: Settings, store: Store, central: Central, *,
               with_devices: bool = True, speaker: Speaker | None = None) -> KioskCore:
    """What ``app`` works with over ``store`` and ``central``: the use-cases, the serial devices
    (posting their scans to ``app``; none without ``with_devices``), the receipt desk, the
    technician's PIN guard and service, and the voice (``speaker``: by default through the sound
    device, or written to ``speech_out``). The central port's breaker states are kept in the
    store as the app's; the relay's outbox and read model are the process's only ones, which the
    use-cases share."""
    central.breakers.report_to(breaker_recorder(store, "app"))
    lending = Lending(settings, store, central, Relay(store, central, settings, role="app"))
    devices = Devices(app, device_configs(settings) if with_devices else [], store)
    return KioskCore(settings, lending, devices, ReceiptDesk(settings, store, devices.report),
                     PinGuard(store), TechService(lending),
                     speaker or Speaker(settings, SpeechEngine(settings.speech_folder)))


def build_kiosk(settings: Settings, store: Store, central: Central, *,
                app_class: type[AppT] = KioskApp, with_devices: bool = True,  # type: ignore[assignment]
                speaker: Speaker | None = None, **app_options: Any) -> AppT:
    """The kiosk app over ``store`` and ``central``, its core attached before it starts (the
    demo, the screenshots, the tests and the benchmarks; ``kiosk run`` paints first and attaches
    the same core after, :mod:`kiosk_app.start`). ``app_options`` go to the app (timers, log
    lines, the demo's own), ``app_class`` is :class:`KioskApp` or the demo's subclass; the
    display's scale (``scale``) enlarges the screen where the app runs under the kiosk's
    compositor."""
    app_options.setdefault("scale", output_scale())
    app = app_class(FirstPaint.of(settings), **app_options)
    app.attach(build_core(app, settings, store, central, with_devices=with_devices, speaker=speaker))
    return app
