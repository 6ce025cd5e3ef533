"""Technician diagnostics: devices with a live test-scan area, outbox and dead letters (sync now,
retry, resolve), breakers (reset), central health per service, last sync, database integrity,
disk, version, configuration with secrets hidden, recent log lines, and the maintenance exit."""

from __future__ import annotations

import time
from datetime import datetime

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static, TabbedContent, TabPane

from hardware.codes import CodeKind
from hardware.status import DeviceStatus
from kiosk_app.diagnostics import Report, describe_entry, gather
from kiosk_app.screens.common import KioskScreen
from sync_agent.logs import mask_card

SYNC_NOW_TIMEOUT_S = 10.0
RESOLVED_NOTE = "resolved by a technician at the kiosk"


def _ago(epoch: float | None) -> str:
    return "-" if epoch is None else f"{max(0, time.time() - epoch):.0f} s ago"


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


class TechScreen(KioskScreen):
    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self.test_scans: list[str] = []
        self.integrity: str = ""
        self.devices: dict[str, DeviceStatus] = {}

    def compose(self) -> ComposeResult:
        yield Static(self.tr("tech_title"), classes="heading")
        with TabbedContent(id="tech-tabs"):
            with TabPane(self.tr("tech_devices"), id="tab-devices"):
                yield VerticalScroll(Static(self._devices(), id="devices"),
                                     Static(self._test_scans(), id="test-scans"))
            with TabPane(self.tr("tech_outbox"), id="tab-outbox"):
                yield VerticalScroll(Static("…"), id="outbox-body")
            with TabPane(self.tr("tech_health"), id="tab-central"):
                yield VerticalScroll(Static("…"), id="central-body")
            with TabPane(self.tr("tech_system"), id="tab-system"):
                yield VerticalScroll(Static("…"), id="system-body")
            with TabPane(self.tr("tech_logs"), id="tab-logs"):
                yield VerticalScroll(Static(self._logs(), id="log-lines"), id="logs-body")
        with Horizontal(classes="buttons"):
            yield Button(self.tr("tech_refresh"), id="tech-refresh")
            yield Button(self.tr("tech_exit_kiosk"), id="tech-exit", variant="error")
            yield Button(self.tr("tech_close"), id="tech-close", variant="primary")

    def on_mount(self) -> None:
        self.devices = {status.name: status for status in self.kiosk.devices.statuses()}
        self.reload()

    # -- sections --------------------------------------------------------------------------

    def _devices(self) -> str:
        if not self.devices:
            return "-"
        lines = []
        for d in self.devices.values():
            reasons = ", ".join(f"{k}: {v}" for k, v in d.rejected_by_reason.items()) or "-"
            lines.append(f"[b]{escape(d.name)}[/b] · {escape(str(d.port))} · {d.state}"
                         f"{' (' + escape(d.reason) + ')' if d.reason else ''}\n"
                         f"  last scan {_ago(d.last_scan_at)} · good {d.good} · rejected {d.rejected} "
                         f"({escape(reasons)})")
        return "\n".join(lines)

    def _test_scans(self) -> str:
        return "\n".join(self.tr("tech_test_scan", code=line) for line in self.test_scans[-8:]) or \
            self.tr("tech_test_scan", code="-")

    def _outbox(self, report: Report) -> ComposeResult:
        s = report.status
        age = s["oldest_pending_age_s"]
        yield Static(f"pending {s['pending']} · in flight {s['in_flight']} · dead {s['dead']} · "
                     f"delivered {s['delivered']} · oldest pending {'-' if age is None else f'{age:.0f} s'}")
        yield Button(self.tr("tech_sync_now"), id="sync-now")
        yield Static(self.tr("tech_dead"), classes="subheading")
        for entry in report.dead:
            yield Horizontal(Static(escape(describe_entry(entry)), classes="dead-text"),
                             Button(self.tr("tech_retry"), id=f"retry-{entry.id}"),
                             Button(self.tr("tech_resolve"), id=f"resolve-{entry.id}"),
                             classes="dead-row")

    def _central(self, report: Report) -> ComposeResult:
        yield Static("  ".join(f"{name}: {state}" for name, state in report.health.items()), id="health")
        yield Static(f"last successful sync: {report.status['last_success_at'] or '-'}")
        yield Static(self.tr("tech_breakers"), classes="subheading")
        for name, state in report.app_breakers.items():
            yield Horizontal(Static(f"app · {name}: {state}", classes="dead-text"),
                             Button(self.tr("tech_reset"), id=f"reset-{name}"), classes="dead-row")
        for name, breaker in report.status["breakers"].get("agent", {}).items():
            yield Static(f"agent · {name}: {breaker['state']}")

    def _system(self, report: Report) -> ComposeResult:
        disk = report.disk
        yield Static(f"version {report.version} · schema {report.status['schema_version']} · disk free "
                     + (f"{_mib(disk.free_bytes)} of {_mib(disk.total_bytes)} ({disk.free_ratio:.0%})"
                        if disk else "unknown"))
        yield Button(self.tr("tech_integrity"), id="integrity")
        yield Static(escape(self.integrity), id="integrity-result")
        yield Static("\n".join(f"{key} = {escape(value)}" for key, value in report.config), id="config")

    def _logs(self) -> str:
        return escape("\n".join(self.report.log_lines)) if self.report and self.report.log_lines else "-"

    # -- live updates ----------------------------------------------------------------------

    def test_scan(self, kind: CodeKind, code: str) -> None:
        self.test_scans.append(f"{kind.value} {mask_card(code)} @ {datetime.now():%H:%M:%S}")
        for widget in self.query("#test-scans").results(Static):
            widget.update(self._test_scans())

    def device_changed(self, status: DeviceStatus) -> None:
        self.devices[status.name] = status
        for widget in self.query("#devices").results(Static):
            widget.update(self._devices())

    @work(exclusive=True, group="tech-report")
    async def reload(self) -> None:
        kiosk = self.kiosk
        report = self.report = await gather(kiosk.lending, kiosk.devices.statuses(), kiosk.log_tail())
        for body, widgets in (("#outbox-body", self._outbox(report)), ("#central-body", self._central(report)),
                              ("#system-body", self._system(report))):
            container = self.query_one(body, VerticalScroll)
            await container.remove_children()
            await container.mount_all(list(widgets))
        self.query_one("#log-lines", Static).update(self._logs())

    # -- actions ---------------------------------------------------------------------------

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.touch()
        button_id = event.button.id or ""
        kiosk = self.kiosk
        if button_id == "tech-close":
            kiosk.close_technician()
        elif button_id == "tech-exit":
            kiosk.exit_kiosk()
        elif button_id == "tech-refresh":
            self.reload()
        elif button_id == "sync-now":
            self._run(kiosk.lending.relay.drain(SYNC_NOW_TIMEOUT_S))
        elif button_id.startswith("retry-"):
            self._thread(kiosk.lending.outbox.retry_dead, int(button_id.removeprefix("retry-")))
        elif button_id.startswith("resolve-"):
            self._thread(kiosk.lending.outbox.resolve_dead, int(button_id.removeprefix("resolve-")),
                         RESOLVED_NOTE)
        elif button_id.startswith("reset-"):
            kiosk.lending.client.breakers.reset(button_id.removeprefix("reset-"))
            self.reload()
        elif button_id == "integrity":
            self._integrity()

    @work(group="tech-action")
    async def _run(self, action: object) -> None:
        await action  # type: ignore[misc]
        self.reload()

    @work(group="tech-action", thread=True)
    def _thread(self, action: object, *args: object) -> None:
        action(*args)  # type: ignore[operator]
        self.app.call_from_thread(self.reload)

    @work(group="tech-action", thread=True)
    def _integrity(self) -> None:
        self.integrity = self.kiosk.lending.store.integrity_check()
        self.app.call_from_thread(self.reload)
