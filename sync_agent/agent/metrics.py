"""Prometheus metrics of one kiosk, served by ``kiosk-sync run`` on ``metrics_listen``.

Every figure is read from the store when Prometheus scrapes, not counted in this process's memory:
the outbox, the delivery counters, the breaker rows of both processes, the devices the app records,
the kiosk-wide state, a patron's call for staff and the last success. So the figures are true right
after an agent restart, and they include what the app process did (its returns, its breakers, its
scanners). Only the relay's pacing window is live process state, and it is the agent's own.

A scrape that cannot read the store answers ``kiosk_store_up 0`` and the build info rather than
failing: a kiosk whose disk is full must still be seen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from sync_agent.agent.pacing import Pacer
from sync_agent.central.breakers import CLOSED, HALF_OPEN, OPEN
from sync_agent.settings import Settings
from sync_agent.store import counters, help_request, sync_state
from sync_agent.store.database import Store, StoreError
from sync_agent.store.outbox import Kind, Status
from sync_agent.store.status import breaker_states, device_statuses, kiosk_state

log = logging.getLogger(__name__)

OUTCOME_OF_COUNTER = {"delivered": "delivered", "dead_lettered": "dead_letter", "retried": "retry_later",
                      "declined": "declined", "compensations": "compensated"}
"""The ``counters`` rows the relay keeps, as the ``outcome`` label of ``kiosk_deliveries_total``."""


def build_version() -> str:
    try:
        return version("library-kiosk")
    except PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


class KioskCollector(Collector):
    """Reads the store at every scrape (Prometheus's custom-collector interface)."""

    def __init__(self, store: Store, settings: Settings, pacer: Pacer | None = None) -> None:
        self.store = store
        self.settings = settings
        self.pacer = pacer

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("kiosk_build", "version of the kiosk software and this kiosk's id")
        info.add_metric([], {"version": build_version(), "kiosk": self.settings.id})
        yield info
        up = GaugeMetricFamily("kiosk_store_up", "1 when the store could be read for this scrape")
        try:
            figures = list(self._from_store())
        except StoreError as exc:
            log.error("metrics: store unreadable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures
        if self.pacer is not None:
            yield GaugeMetricFamily("kiosk_relay_window", "deliveries the relay may have in flight now, "
                                    "on average below 1 (shrinks under overload)", value=self.pacer.limit)
            yield CounterMetricFamily("kiosk_relay_window_cuts", "times overload halved the relay's "
                                      "window since the agent started", value=self.pacer.cuts)

    def _from_store(self) -> Iterator[Metric]:
        with self.store.read() as conn:
            by_status_kind = {(status, kind): n for status, kind, n in conn.execute(
                "SELECT status, kind, count(*) FROM outbox GROUP BY status, kind")}
            oldest = dict(conn.execute("SELECT kind, min(created_at) FROM outbox "
                                       "WHERE status IN ('pending', 'in_flight') GROUP BY kind"))
            schema = conn.execute("PRAGMA user_version").fetchone()[0]
        entries = GaugeMetricFamily("kiosk_outbox_entries", "outbox entries by status and kind",
                                    labels=["status", "kind"])
        for status in Status:
            for kind in Kind:
                entries.add_metric([status.value, kind.value], by_status_kind.get((status.value, kind.value), 0))
        yield entries
        age = GaugeMetricFamily("kiosk_outbox_oldest_pending_age_seconds", "age of the oldest entry "
                                "not yet delivered (pending or in flight), 0 when there is none",
                                labels=["kind"])
        now = time.time()
        for kind in Kind:
            created = oldest.get(kind.value)
            age.add_metric([kind.value], 0 if created is None else max(0.0, now - created))
        yield age
        deliveries = CounterMetricFamily("kiosk_deliveries", "delivery outcomes written back by the "
                                         "relay of either process", labels=["outcome"])
        counted = counters.totals(self.store)
        for name, outcome in OUTCOME_OF_COUNTER.items():
            deliveries.add_metric([outcome], counted.get(name, 0))
        yield deliveries
        yield _breakers(breaker_states(self.store))
        devices = device_statuses(self.store)
        yield from _devices({name: status for name, status in devices.items() if name != PRINTER})
        yield _printer(devices.get(PRINTER))
        state = kiosk_state(self.store)
        wide = GaugeMetricFamily("kiosk_state", "the kiosk-wide state (1 on the current one): ok, or "
                                 "a cause that stops delivery for every entry", labels=["state"])
        wide.add_metric([state["state"]], 1)
        yield wide
        yield from _help(help_request.current(self.store))
        last = sync_state.get(self.store, sync_state.LAST_SUCCESS)
        if last is not None:
            yield GaugeMetricFamily("kiosk_last_success_timestamp_seconds", "when a central call last "
                                    "succeeded (Unix time)", value=datetime.fromisoformat(last).timestamp())
        yield GaugeMetricFamily("kiosk_store_schema_version", "schema version of the SQLite store",
                                value=schema)


def _breakers(states: dict[str, dict[str, Any]]) -> Metric:
    family = GaugeMetricFamily("kiosk_breaker_state", "1 on each breaker's current state, per "
                               "dependency and the process that holds it (app, agent)",
                               labels=["dependency", "process", "state"])
    for process, breakers in states.items():
        for dependency, row in breakers.items():
            for state in (CLOSED, OPEN, HALF_OPEN):
                family.add_metric([dependency, process, state], int(row["state"] == state))
    return family


def _devices(devices: dict[str, dict[str, Any]]) -> Iterator[Metric]:
    up = GaugeMetricFamily("kiosk_device_up", "1 while the scanner or card reader is connected",
                           labels=["device"])
    state = GaugeMetricFamily("kiosk_device_state", "1 on the device's current state, with its reason",
                              labels=["device", "state", "reason"])
    for name, status in devices.items():
        up.add_metric([name], int(status.get("state") == "connected"))
        state.add_metric([name, str(status.get("state")), status.get("reason") or ""], 1)
    yield up
    yield state


def _help(request: dict[str, Any]) -> Iterator[Metric]:
    """A patron's call for staff (sync_agent.store.help_request): open now, and how many were raised."""
    yield GaugeMetricFamily("kiosk_help_requested", "1 while a patron's call for staff is open (until a "
                            "technician acknowledges it, at most 30 minutes)", value=int(request["open"]))
    yield CounterMetricFamily("kiosk_help_requests", "patrons' calls for staff raised on this kiosk",
                              value=request["total"])


PRINTER = "printer"
"""The receipt printer's row in ``devices`` (kiosk_app.receipt_desk): states of its own, not a scanner's."""
PRINTER_STATES = ("ok", "paper_near_end", "paper_out", "cover_open", "offline", "no_answer", "missing", "file")


def _printer(status: dict[str, Any] | None) -> Metric:
    """1 on the receipt printer's state as it last answered (ESC/POS status); nothing without one."""
    family = GaugeMetricFamily("kiosk_printer_state", "1 on the receipt printer's current state",
                               labels=["state"])
    if status is not None:
        for state in PRINTER_STATES:
            family.add_metric([state], int(status.get("state") == state))
    return family


def serve(store: Store, settings: Settings, pacer: Pacer | None) -> Any | None:
    """Start ``/metrics`` on ``metrics_listen`` in a thread; the server (``.shutdown()``), or None
    when metrics are off or the address cannot be bound (logged: delivery matters more)."""
    address = settings.metrics_address
    if address is None:
        return None
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KioskCollector(store, settings, pacer))
    try:
        server, _thread = start_http_server(address[1], address[0], registry=registry)
    except OSError as exc:
        log.error("metrics: cannot listen on %s: %s", settings.metrics_listen, exc)
        return None
    log.info("metrics on http://%s/metrics", settings.metrics_listen)
    return server

