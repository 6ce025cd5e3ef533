"""The monitoring a library wires in (deploy/monitoring/): promtool accepts the rules and the scrape
job, the rules' unit tests fire each alert when they should, and every metric the rules and the
dashboard use is one the agent really exposes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from prometheus_client.core import Metric

from sync_agent.agent.metrics import KioskCollector
from sync_agent.agent.pacing import Pacer
from sync_agent.central.breakers import Breakers
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.status import breaker_recorder, record_device_status, record_success

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"


def promtool(tools: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tools["promtool"], *map(str, args)], capture_output=True, text=True,
                          cwd=Path(__file__).parent)


def test_promtool_accepts_the_rules_and_the_scrape_job(prometheus_tools) -> None:
    rules = promtool(prometheus_tools, "check", "rules", MONITORING / "kiosk-alerts.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS: 8 rules found" in rules.stdout
    scrape = promtool(prometheus_tools, "check", "config", MONITORING / "prometheus-scrape.yml")
    assert scrape.returncode == 0, scrape.stdout + scrape.stderr


def test_each_alert_fires_when_it_should(prometheus_tools) -> None:
    done = promtool(prometheus_tools, "test", "rules", "kiosk-alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def exposed_names(tmp_path: Path) -> set[str]:
    store = Store.open(tmp_path / "kiosk.sqlite3")
    Breakers(Settings()).report_to(breaker_recorder(store, "agent"))
    record_device_status(store, "scanner", {"state": "connected"})
    record_device_status(store, "printer", {"state": "paper_out"})
    record_success(store)
    families: list[Metric] = list(KioskCollector(store, Settings(), Pacer(4)).collect())
    store.close()
    return {sample.name for family in families for sample in family.samples}


def test_rules_and_dashboard_use_only_metrics_the_agent_exposes(tmp_path) -> None:
    names = exposed_names(tmp_path)
    rules = (MONITORING / "kiosk-alerts.yml").read_text()
    dashboard = json.loads((MONITORING / "grafana-kiosks.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = set(re.findall(r"\bkiosk_[a-z_]+", rules + "\n".join(exprs)))
    assert used and used <= names, used - names
    cases = (Path(__file__).parent / "kiosk-alerts.test.yml").read_text()
    alerts = set(re.findall(r"alert: (\w+)", rules))
    assert alerts == set(re.findall(r"alertname: (\w+)", cases))  # each alert has its unit test
