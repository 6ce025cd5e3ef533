"""The one place the kiosk is put together: a store and a central port, then the relay, the
use-cases and the app on top.

The CLI, the demo, the screenshots, the benchmarks and the tests all build their kiosk here, so the
wiring (which relay role, which use-cases get which store) is written once and cannot drift
between the kiosk that runs and the kiosk that is tested."""

from __future__ import annotations

from typing import Any, TypeVar

from hardware.display import output_scale
from hardware.speech import SpeechEngine
from kiosk_app.app import KioskApp
from kiosk_app.lending import Lending
from kiosk_app.voice import Speaker
from sync_agent.agent.relay import Relay
from sync_agent.central.port import Central
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.status import breaker_recorder

AppT = TypeVar("AppT", bound=KioskApp)


def build_kiosk(settings: Settings, store: Store, central: Central, *,
                app_class: type[AppT] = KioskApp, **app_options: Any) -> AppT:  # type: ignore[assignment]
    """The kiosk app over ``store`` and ``central``; ``app_options`` go to the app (timers,
    devices, log lines), ``app_class`` is :class:`KioskApp` or the demo's subclass. The voice
    (``speaker``) speaks through the sound device, or writes to ``speech_out``; the display's scale
    (``scale``) enlarges the screen where the app runs under the kiosk's compositor. The central
    port's breaker states are kept in the store as the app's; the relay's outbox and read model
    are the process's only ones, which the use-cases share."""
    central.breakers.report_to(breaker_recorder(store, "app"))
    relay = Relay(store, central, settings, role="app")
    app_options.setdefault("speaker", Speaker(settings, SpeechEngine(settings.speech_folder)))
    app_options.setdefault("scale", output_scale())
    return app_class(settings, Lending(settings, store, central, relay), **app_options)
