"""Metrics: a real Prometheus scrapes a running ``kiosk-sync run`` and the test reads the figures
back through Prometheus's HTTP API; the figures come from the store, so they hold what the app
process and earlier agent runs did."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend_stub.readiness import free_port
from kiosk_data.codes import AT_LIMIT_LOAN, HOLD_READY
from kiosk_testing.waiting import wait_until
from sync_agent.agent.metrics import KioskCollector
from sync_agent.agent.relay import Relay
from sync_agent.central.rest.client import CentralClient
from sync_agent.settings import ConfigError, Settings, load_settings
from sync_agent.store import help_request
from sync_agent.store.database import MIGRATIONS, Store
from sync_agent.store.outbox import Outbox, Status
from sync_agent.store.status import breaker_recorder, record_device_status, record_kiosk_state

from .conftest import make_settings, rented_barcodes
from .test_cli import config, finish, kiosk_sync

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "monitoring" / "kiosk-alerts.yml"


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def fill_store(store: Store, central) -> None:
    """What an earlier agent run and the app left in the store: 2 returns delivered, 1 dead
    letter, 3 returns and a cancel waiting, a scanner and a card reader, a kiosk-wide state."""
    outbox = Outbox(store, "kiosk-07")
    on_loan = rented_barcodes()
    for code in on_loan[:2]:
        outbox.append_return(code, datetime.now(UTC))
    outbox.append_return("30042000009999", datetime.now(UTC))  # a copy nobody knows: refused
    settings = make_settings(store.path.parent.parent, central.url)
    async with CentralClient(settings, owner="app") as client:
        client.breakers.report_to(breaker_recorder(store, "app"))  # as the app's composition root does
        result = await Relay(store, client, settings, role="app").drain(20)
    assert result.delivered == 2 and result.dead == 1
    for code in on_loan[2:]:
        outbox.append_return(code, datetime.now(UTC))
    outbox.append_return(AT_LIMIT_LOAN, datetime.now(UTC))
    outbox.append_cancel(3, HOLD_READY, 1, datetime.now(UTC))
    record_device_status(store, "scanner", {"state": "connected", "port": "/dev/kiosk-scanner"})
    record_device_status(store, "card_reader", {"state": "reconnecting", "reason": "unplugged"})
    record_kiosk_state(store, "unauthorized", "the central API rejected the token")


class Prometheus:
    """A real Prometheus server scraping one target every second, with the kiosk's rules."""

    def __init__(self, binary: str, folder: Path, target: str) -> None:
        self.port = free_port()
        config_file = folder / "prometheus.yml"
        config_file.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: ['{RULES}']\n"
            f"scrape_configs:\n  - job_name: kiosk\n    static_configs: [{{targets: ['{target}']}}]\n")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config_file}", f"--storage.tsdb.path={folder / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=(folder / "prometheus.log").open("w"))

    def query(self, expr: str) -> list[dict]:
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.port}/api/v1/query", params={"query": expr})
        except httpx.TransportError:
            return []  # not listening yet
        return answer.json()["data"]["result"] if answer.status_code == 200 else []

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if len(result) == 1 else None

    def wait_value(self, expr: str, expected: float, timeout: float = 60) -> None:
        wait_until(lambda: self.value(expr) == expected, timeout, every_s=0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


async def test_a_real_prometheus_reads_the_kiosk_figures_from_a_running_agent(
        prometheus_tools, central, store, tmp_path) -> None:
    await fill_store(store, central)
    central.stop()  # the agent finds the central side gone: its returns breaker opens
    metrics_port = free_port()
    cfg = config(tmp_path, central.url, breaker_failure_threshold=3, breaker_reset_s=300,
                 metrics_listen=f"127.0.0.1:{metrics_port}")
    agent = kiosk_sync(cfg, "run")
    prometheus = Prometheus(prometheus_tools["prometheus"], tmp_path, f"127.0.0.1:{metrics_port}")
    try:
        prometheus.wait_value('up{job="kiosk"}', 1)
        prometheus.wait_value('sum(kiosk_outbox_entries{status=~"pending|in_flight",kind="return"})', 3)
        prometheus.wait_value('sum(kiosk_outbox_entries{status=~"pending|in_flight",kind="cancel"})', 1)
        prometheus.wait_value('kiosk_outbox_entries{status="dead",kind="return"}', 1)
        prometheus.wait_value('kiosk_deliveries_total{outcome="delivered"}', 2)  # by the app's relay
        prometheus.wait_value('kiosk_deliveries_total{outcome="dead_letter"}', 1)
        prometheus.wait_value('kiosk_breaker_state{dependency="returns",process="agent",state="open"}', 1)
        prometheus.wait_value('kiosk_breaker_state{dependency="lending",process="app",state="closed"}', 1)
        prometheus.wait_value('kiosk_device_up{device="scanner"}', 1)
        prometheus.wait_value('kiosk_device_up{device="card_reader"}', 0)
        prometheus.wait_value('kiosk_state{state="unauthorized"}', 1)
        prometheus.wait_value('kiosk_build_info{kiosk="kiosk-07"}', 1)
        prometheus.wait_value("kiosk_store_schema_version", len(MIGRATIONS))
        assert prometheus.value("kiosk_outbox_oldest_pending_age_seconds{kind='return'}") > 0
        assert prometheus.value("kiosk_last_success_timestamp_seconds") <= time.time()
        assert 0 < prometheus.value("kiosk_relay_window") <= 4  # refused calls pace it below one
        # the rules, evaluated by the same server
        prometheus.wait_value('ALERTS{alertname="KioskDeadLetters",alertstate="firing"}', 1)
        prometheus.wait_value('ALERTS{alertname="KioskStateError",alertstate="firing"}', 1)
        # outage twin: the agent is killed; Prometheus sees it down (the alert fires after 5 min)
        agent.send_signal(signal.SIGKILL)
        agent.wait(10)
        prometheus.wait_value('up{job="kiosk"}', 0)
        prometheus.wait_value('ALERTS{alertname="KioskAgentDown",alertstate="pending"}', 1)
    finally:
        prometheus.stop()
        if agent.poll() is None:
            agent.kill()
            agent.wait(10)


def test_figures_survive_an_agent_restart(central, store, outbox, tmp_path) -> None:
    """Counted in the store, not in the process: a restarted agent reports the same totals."""
    port = free_port()
    cfg = config(tmp_path, central.url, metrics_listen=f"127.0.0.1:{port}")
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in rented_barcodes()]
    delivered = ("kiosk_deliveries_total", (("outcome", "delivered"),))
    agent = kiosk_sync(cfg, "run")
    try:
        wait_until(lambda: _scrape_or_empty(port).get(delivered) == len(entries))
    finally:
        agent.send_signal(signal.SIGTERM)
        assert finish(agent)[0] == 0
    agent = kiosk_sync(cfg, "run")
    try:
        wait_until(lambda: _scrape_or_empty(port).get(delivered) == len(entries))
        figures = scrape(port)
        assert figures[("kiosk_outbox_entries", (("kind", "return"), ("status", "delivered")))] == len(entries)
        assert figures[("kiosk_outbox_oldest_pending_age_seconds", (("kind", "return"),))] == 0
    finally:
        agent.send_signal(signal.SIGTERM)
        assert finish(agent)[0] == 0


def test_a_call_for_staff_is_served_until_a_technician_acknowledges_it(central, store, tmp_path) -> None:
    """The app writes the call, the running agent serves it: 1 while open, 0 once acknowledged,
    and a second press while open counts nothing."""
    port = free_port()
    agent = kiosk_sync(config(tmp_path, central.url, metrics_listen=f"127.0.0.1:{port}"), "run")
    requested, total = ("kiosk_help_requested", ()), ("kiosk_help_requests_total", ())
    try:
        wait_until(lambda: _scrape_or_empty(port).get(requested) == 0)
        assert scrape(port)[total] == 0
        assert help_request.request(store, "member")
        assert not help_request.request(store, "member")
        figures = scrape(port)
        assert figures[requested] == 1 and figures[total] == 1
        assert help_request.acknowledge(store)
        figures = scrape(port)
        assert figures[requested] == 0 and figures[total] == 1
    finally:
        agent.send_signal(signal.SIGTERM)
        assert finish(agent)[0] == 0


def _scrape_or_empty(port: int) -> dict:
    try:
        return scrape(port)
    except httpx.TransportError:
        return {}


def test_an_agent_whose_metrics_port_is_taken_still_delivers(central, store, outbox, tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        cfg = config(tmp_path, central.url, metrics_listen=f"127.0.0.1:{taken.getsockname()[1]}")
        entry = outbox.append_return(rented_barcodes()[0], datetime.now(UTC))
        agent = kiosk_sync(cfg, "run")
        try:
            wait_until(lambda: outbox.get(entry.id).status is Status.DELIVERED)
        finally:
            agent.send_signal(signal.SIGTERM)
            code, out, err = finish(agent)
    assert code == 0 and "metrics: cannot listen on" in out + err


def test_a_store_that_cannot_be_read_still_answers_a_scrape(tmp_path) -> None:
    store = Store.open(tmp_path / "kiosk.sqlite3")
    store.close()  # every query now fails
    samples = {sample.name: sample for family in KioskCollector(store, Settings(id="kiosk-07")).collect()
               for sample in family.samples}
    assert samples["kiosk_store_up"].value == 0
    assert samples["kiosk_build_info"].labels["kiosk"] == "kiosk-07"
    assert "kiosk_outbox_entries" not in samples


def test_metrics_can_be_turned_off_and_bad_addresses_are_named(tmp_path) -> None:
    assert Settings(metrics_listen="").metrics_address is None
    assert Settings().metrics_address == ("127.0.0.1", 9464)
    assert Settings(metrics_listen="[::1]:9100").metrics_address == ("::1", 9100)
    bad = tmp_path / "bad.toml"
    bad.write_text('metrics_listen = "localhost"\n')
    with pytest.raises(ConfigError, match=r"metrics_listen \(KIOSK_METRICS_LISTEN\).*HOST:PORT"):
        load_settings(bad)
