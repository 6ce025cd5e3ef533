"""``kiosk-backend``: serve the central API stand-in with uvicorn.

Fault options apply to every service, or to one with a ``SERVICE=`` prefix:
``--latency 400-620`` (all services), ``--latency payment=400-620``, ``--error-rate book=0.2``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import uvicorn

from sync_agent.wire.rest import SERVICES

from .app import create_app
from .demo_data import DATA_DIR
from .faults import ServiceFaults
from .middleware import ConnectionDropped

TOKEN_ENV = "KIOSK_BACKEND_TOKEN"


def _targeted(value: str, parse) -> tuple[tuple[str, ...], object]:
    """``[SERVICE=]VALUE`` into (services, parsed value)."""
    service, sep, rest = value.rpartition("=")
    if sep and service not in SERVICES:
        raise argparse.ArgumentTypeError(f"unknown service {service!r}; use one of {', '.join(SERVICES)}")
    try:
        parsed = parse(rest)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad value {rest!r}: {exc}") from exc
    return ((service,) if sep else SERVICES), parsed


def _range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    if not sep:
        raise ValueError("expected LO-HI in milliseconds, e.g. 400-620")
    low_ms, high_ms = int(low), int(high)
    if not 0 <= low_ms <= high_ms:
        raise ValueError("expected 0 <= LO <= HI")
    return low_ms, high_ms


def _rate(text: str) -> float:
    rate = float(text)
    if not 0 <= rate <= 1:
        raise ValueError("expected a probability between 0 and 1")
    return rate


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-backend", description=(
        "Stand-in for the library's central rental/payment/book API, serving the demo library "
        "(data/*.json), with faults on demand."))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--db", type=Path, help="SQLite file (default: a fresh temporary database)")
    p.add_argument("--data", type=Path, default=DATA_DIR, help="folder of the demo data JSON")
    p.add_argument("--token", default=os.environ.get(TOKEN_ENV) or None,
                   help=f"bearer token required on every call but /health (or ${TOKEN_ENV}); "
                        "default: open")
    p.add_argument("--down", action="append", choices=SERVICES, default=[], metavar="SERVICE",
                   help="start with this service down (repeatable)")
    p.add_argument("--latency", action="append", default=[], metavar="[SERVICE=]LO-HI",
                   type=lambda v: _targeted(v, _range), help="latency range in ms, e.g. 400-620")
    p.add_argument("--error-rate", action="append", default=[], metavar="[SERVICE=]P",
                   type=lambda v: _targeted(v, _rate), help="share of calls answered with 500")
    p.add_argument("--drop-rate", action="append", default=[], metavar="[SERVICE=]P",
                   type=lambda v: _targeted(v, _rate),
                   help="share of calls whose connection is cut after they are applied")
    p.add_argument("--retry-after", type=int, default=1, metavar="S",
                   help="seconds announced in Retry-After by a down service")
    p.add_argument("--faults", action="store_true",
                   help="enable the /admin API (faults, clock, idempotency counts) at run time")
    p.add_argument("--seed", type=int, help="seed of the fault randomness, for reproducible runs")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    return p


def faults_from(args: argparse.Namespace) -> dict[str, ServiceFaults]:
    faults = {name: ServiceFaults(retry_after=args.retry_after) for name in SERVICES}
    for name in args.down:
        faults[name] = replace(faults[name], down=True)
    for option, field in ((args.latency, "latency_ms"), (args.error_rate, "error_rate"),
                          (args.drop_rate, "drop_rate")):
        for services, value in option:
            for name in services:
                faults[name] = replace(faults[name], **{field: value})
    return faults


class _DroppedOnPurpose(logging.Filter):
    """A connection cut by the drop fault is logged in one line, not as a crash with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], ConnectionDropped):
            record.msg, record.args = "connection cut on purpose (drop fault) after %s", (
                record.exc_info[1],)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the handler it
    # found: an exit here, so the scratch folder (and the database in it) is removed on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="kiosk-backend-") as scratch:
        app = create_app(args.db or Path(scratch) / "central.db", data_dir=args.data,
                         token=args.token, faults_enabled=args.faults, faults=faults_from(args),
                         seed=args.seed)
        logging.getLogger("uvicorn.error").addFilter(_DroppedOnPurpose())
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
