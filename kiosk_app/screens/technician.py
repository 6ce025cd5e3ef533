"""Technician diagnostics: a patron's open call for staff (acknowledge), devices with a live
test-scan area, outbox and dead letters (sync now, retry, resolve), breakers (reset), central health
per service, last sync, database integrity, disk, version, configuration with secrets hidden, recent
log lines, and the maintenance exit.

Every label and state word is in Korean and English (kiosk_app.i18n). Left as they are: setting
names and values, breaker names, the central side's refusal codes, SQLite's integrity messages,
a device error the driver does not name, and the log lines, which are what a technician
searches the journal for."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static, TabbedContent, TabPane

from hardware.codes import CodeKind
from hardware.status import DeviceStatus
from kiosk_app.diagnostics import Report, describe_entry
from kiosk_app.i18n import fmt_time
from kiosk_app.messages import (
    AcknowledgeCall,
    CheckStore,
    CloseTechnician,
    ExitKiosk,
    ResetBreaker,
    ResolveDeadLetter,
    RetryDeadLetter,
    SyncNow,
)
from kiosk_app.receipt_desk import PRINTER, PRINTER_WORDS
from kiosk_app.screens.common import KioskScreen
from sync_agent.logs import mask_card

WORDS: dict[str, str] = {
    "connected": "tech_state_connected", "reconnecting": "tech_state_reconnecting",
    "error": "tech_state_error", "stopped": "tech_state_stopped",
    "port not found (unplugged?)": "tech_reason_not_found",
    "permission denied (is the kiosk user in the dialout group?)": "tech_reason_permission",
    "port in use by another program": "tech_reason_in_use",
    "not a serial device": "tech_reason_not_serial", "device disconnected": "tech_reason_disconnected",
    "wrong check digit": "tech_reject_wrong check digit",
    "other institution": "tech_reject_other institution", "too short": "tech_reject_too short",
    "too long": "tech_reject_too long", "not a library code": "tech_reject_not a library code",
    "not text": "tech_reject_not text", "line too long": "tech_reject_line too long",
    "incomplete line": "tech_reject_incomplete line",
    "up": "tech_service_up", "down": "tech_service_down", "unreachable": "tech_service_unreachable",
    "login refused": "tech_service_login_refused",
    "rental": "tech_service_rental", "payment": "tech_service_payment", "book": "tech_service_book",
    "closed": "tech_breaker_closed", "open": "tech_breaker_open", "half-open": "tech_breaker_half-open",
    "lending": "tech_dependency_lending", "returns": "tech_dependency_returns",
    "views": "tech_dependency_views", "catalog": "tech_dependency_catalog",
    **PRINTER_WORDS,
}
"""Device states and reasons, rejection reasons, service and breaker states: the key of each word."""
KINDS = {"member_card": "tech_kind_member_card", "item": "tech_kind_item", "isbn": "tech_kind_isbn",
         "invalid": "tech_kind_invalid"}
KIOSK_STATES = {"ok": "tech_kiosk_ok", "unauthorized": "tech_kiosk_unauthorized",
                "clock_skew": "tech_kiosk_clock_skew", "keys_rejected": "tech_kiosk_keys_rejected",
                "login_refused": "tech_kiosk_login_refused"}
"""Kiosk-wide states (sync_agent.agent.kiosk_wide) in words, with what to do."""
PATRON_SCREENS = {"welcome": "tech_screen_welcome", "returns": "tech_screen_returns",
                  "member": "tech_screen_member", "receipt": "tech_screen_receipt"}
"""The patron screens a call for staff can come from (kiosk_app.app ``_patron_screen_name``)."""
ENTRY_KINDS = {"return": "tech_entry_return", "rent": "tech_entry_rent", "cancel": "tech_entry_cancel",
               "unrent": "tech_entry_unrent"}


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


class TechScreen(KioskScreen):
    BACK = "#tech-close"
    AUTO_FOCUS = "*"  # a technician may well have a keyboard: the tabs take the focus at once

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self.test_scans: list[str] = []
        self.integrity: str = ""
        self.devices: dict[str, DeviceStatus] = {}

    def compose(self) -> ComposeResult:
        # The devices as they are now: a working scanner shows at once, not after a test scan.
        self.devices = {status.name: status for status in self.view.tools.devices.statuses()}
        yield Static(self.tr("tech_title"), classes="heading")
        yield Horizontal(id="help-request")
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
        self.reload()

    async def recompose(self) -> None:
        """A change of language composes the screen again, with placeholders: fill them again."""
        await super().recompose()
        self.reload()

    # -- sections --------------------------------------------------------------------------

    def _word(self, word: str) -> str:
        """A state or reason in the screen's language; one the table does not know, as it is."""
        return self.tr(WORDS[word]) if word in WORDS else word

    def _ago(self, epoch: float | None) -> str:
        return "-" if epoch is None else self.tr("tech_ago", seconds=f"{max(0, time.time() - epoch):.0f}")

    def _when(self, iso: str | None) -> str:
        """A recorded moment (ISO 8601) as the technician reads it: local date and time, and how
        long ago; as it is if it cannot be read."""
        if not iso:
            return "-"
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            return escape(iso)
        return f"{fmt_time(moment, self.lang, self.view.tz)} ({self._ago(moment.timestamp())})"

    def _devices(self) -> str:
        if not self.devices:
            return "-"
        lines = []
        for d in self.devices.values():
            reasons = ", ".join(f"{self._word(k)}: {v}" for k, v in d.rejected_by_reason.items()) or "-"
            reason = f" ({escape(self._word(d.reason))})" if d.reason else ""
            head = f"[b]{escape(d.name)}[/b] · {escape(str(d.port))} · {self._word(d.state)}{reason}"
            if d.name == PRINTER:  # no scans to count
                lines.append(head)
                continue
            lines.append(f"{head}\n  " + escape(self.tr("tech_device_line", ago=self._ago(d.last_scan_at), good=d.good,
                                          rejected=d.rejected, reasons=reasons)))
        return "\n".join(lines)

    def _test_scans(self) -> str:
        return "\n".join(self.tr("tech_test_scan", code=line) for line in self.test_scans[-8:]) or \
            self.tr("tech_test_scan", code="-")

    def _help(self, report: Report) -> ComposeResult:
        """A patron's open call for staff: since when, from which screen, and "acknowledge"."""
        request = report.status["help_request"]
        if not request["open"]:
            return
        screen = request["screen"]
        where = self.tr(PATRON_SCREENS[screen]) if screen in PATRON_SCREENS else escape(screen)
        yield Static(self.tr("tech_help_open", screen=where,
                             when=self._when(datetime.fromtimestamp(request["since"], UTC).isoformat())),
                     id="help-text", classes="dead-text")
        yield Button(self.tr("tech_help_ack"), id="help-ack", variant="warning")

    def _outbox(self, report: Report) -> ComposeResult:
        s = report.status
        age = s["oldest_pending_age_s"]
        oldest = "-" if age is None else self.tr("tech_seconds", seconds=f"{age:.0f}")
        yield Static(self.tr("tech_outbox_counts", pending=s["pending"], in_flight=s["in_flight"],
                             dead=s["dead"], delivered=s["delivered"], oldest=oldest))
        yield Button(self.tr("tech_sync_now"), id="sync-now")
        yield Static(self.tr("tech_dead"), classes="subheading")
        for entry in report.dead:
            yield Horizontal(Static(escape(describe_entry(entry, self.tr(ENTRY_KINDS[entry.kind]))),
                                    classes="dead-text"),
                             Button(self.tr("tech_retry"), id=f"retry-{entry.id}"),
                             Button(self.tr("tech_resolve"), id=f"resolve-{entry.id}"),
                             classes="dead-row")

    def _central(self, report: Report) -> ComposeResult:
        yield Static("  ".join(f"{self._word(name)}: {self._word(state)}"
                               for name, state in report.health.items()), id="health")
        yield Static(self.tr("tech_last_sync", when=self._when(report.status["last_success_at"])))
        state = report.status["kiosk_state"]["state"]
        words = self.tr(KIOSK_STATES[state]) if state in KIOSK_STATES else state
        yield Static(self.tr("tech_kiosk_state", state=escape(words)), id="kiosk-state")
        yield Static(self.tr("tech_breakers"), classes="subheading")
        for name, state in report.app_breakers.items():
            yield Horizontal(Static(self.tr("tech_breaker_app", name=self._word(name), state=self._word(state)),
                                    classes="dead-text"),
                             Button(self.tr("tech_reset"), id=f"reset-{name}"), classes="dead-row")
        for name, breaker in report.status["breakers"].get("agent", {}).items():
            yield Static(self.tr("tech_breaker_agent", name=self._word(name), state=self._word(breaker["state"])))

    def _system(self, report: Report) -> ComposeResult:
        disk = report.disk
        free = self.tr("tech_disk", free=_mib(disk.free_bytes), total=_mib(disk.total_bytes),
                       ratio=f"{disk.free_ratio:.0%}") if disk else self.tr("tech_disk_unknown")
        yield Static(self.tr("tech_system_line", version=report.version,
                             schema=report.status["schema_version"], disk=free))
        yield Button(self.tr("tech_integrity"), id="integrity")
        yield Static(escape(self.integrity), id="integrity-result")
        yield Static("\n".join(f"{key} = {escape(value)}" for key, value in report.config), id="config")

    def _logs(self) -> str:
        return escape("\n".join(self.report.log_lines)) if self.report and self.report.log_lines else "-"

    # -- live updates ----------------------------------------------------------------------

    def test_scan(self, kind: CodeKind, code: str) -> None:
        self.test_scans.append(f"{self.tr(KINDS[kind.value])} {mask_card(code)} @ {datetime.now():%H:%M:%S}")
        for widget in self.query("#test-scans").results(Static):
            widget.update(self._test_scans())

    def device_changed(self, status: DeviceStatus) -> None:
        self.devices[status.name] = status
        for widget in self.query("#devices").results(Static):
            widget.update(self._devices())

    @work(exclusive=True, group="tech-report")
    async def reload(self) -> None:
        tech = self.view.tools
        report = self.report = await tech.service.report(tech.devices.statuses(), tech.log_tail())
        # The screen may have been composed again (or closed) while the report was gathered: fill
        # what is there now; a recompose starts a reload of its own.
        for row in self.query("#help-request").results(Horizontal):
            await row.remove_children()
            await row.mount_all(list(self._help(report)))
            row.set_class(report.status["help_request"]["open"], "open")
        for body, widgets in (("#outbox-body", self._outbox(report)), ("#central-body", self._central(report)),
                              ("#system-body", self._system(report))):
            for container in self.query(body).results(VerticalScroll):
                await container.remove_children()
                await container.mount_all(list(widgets))
        for lines in self.query("#log-lines").results(Static):
            lines.update(self._logs())

    # -- actions ---------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Every action goes up as a message; the app carries it out (``kiosk_app.tech_service``)
        and hands the outcome down (:meth:`show_integrity`, :meth:`reload`)."""
        event.stop()
        self.active()
        button_id = event.button.id or ""
        if button_id == "tech-refresh":
            self.reload()
            return
        actions = {"tech-close": CloseTechnician, "tech-exit": ExitKiosk, "sync-now": SyncNow,
                   "integrity": CheckStore, "help-ack": AcknowledgeCall}
        targeted = {"retry-": RetryDeadLetter, "resolve-": ResolveDeadLetter}
        if button_id in actions:
            self.post_message(actions[button_id]())
        elif button_id.startswith("reset-"):
            self.post_message(ResetBreaker(button_id.removeprefix("reset-")))
        else:
            prefix = next((prefix for prefix in targeted if button_id.startswith(prefix)), None)
            if prefix is not None:
                self.post_message(targeted[prefix](int(button_id.removeprefix(prefix))))

    def show_integrity(self, result: str) -> None:
        """The store's integrity check came back: shown with the rest of the report."""
        self.integrity = result
        self.reload()
