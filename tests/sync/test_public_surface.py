"""The public surface of each ``sync_agent`` package, pinned.

A package names its modules in ``__all__`` (it imports none of them itself, so a process loads only
what it uses). Moving, adding or removing a module changes this table on purpose, never by accident:
a module that is not listed, or a listed one that is gone, fails here.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = {
    "sync_agent": ["agent", "central", "config_values", "logs", "settings", "store", "wire"],
    "sync_agent.wire": ["rest", "sip2", "sip2_messages"],
    "sync_agent.store": ["claimer", "counters", "database", "help_request", "mail_jobs", "outbox",
                         "read_model", "retention", "schedule_clock", "status", "sync_state"],
    "sync_agent.central": ["adapters", "breakers", "port", "rest", "results", "sip2"],
    "sync_agent.central.rest": ["capped_body", "client", "delivery_answer", "retry_after"],
    "sync_agent.central.sip2": ["answers", "client", "connection", "patron", "renew_all"],
    "sync_agent.agent": ["cli", "dispatch", "kiosk_wide", "metrics", "pacing", "relay", "saga", "systemd"],
}


def _modules_in(package: str) -> set[str]:
    folder = ROOT / package.replace(".", "/")
    files = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("__")}
    packages = {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
    return files | packages


def test_every_package_of_sync_agent_is_pinned() -> None:
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sync_agent").rglob("__init__.py")}
    assert found == set(PUBLIC)


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_the_pinned_surface(package: str) -> None:
    assert importlib.import_module(package).__all__ == PUBLIC[package]


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_names_exactly_the_package_s_modules(package: str) -> None:
    assert _modules_in(package) == set(PUBLIC[package])


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_every_listed_module_imports(package: str) -> None:
    for name in PUBLIC[package]:
        assert importlib.import_module(f"{package}.{name}").__doc__, f"{package}.{name} says why it exists"
