"""``kiosk-sync``: the sync agent (``run``) and its technician commands.

Exit codes: 0 done; 1 ``drain`` left entries pending or in flight; 2 configuration or store
error (``check``: the integrity check found problems); 3 ``drain`` delivered everything it could
but dead letters await a technician.

``status`` and ``check`` only read: they open the store read-only (:meth:`Store.open_readonly`),
never create it or its folder, and answer on a full disk. The other commands open it for writing,
which checks the file first (:meth:`Store.verify`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from sync_agent.agent.metrics import serve as serve_metrics
from sync_agent.agent.relay import Relay
from sync_agent.agent.systemd import notify, watchdog_interval_s
from sync_agent.central.adapters import open_central
from sync_agent.logs import configure_logging, quiet_http_client
from sync_agent.settings import ConfigError, Settings, load_settings
from sync_agent.store.database import Store, StoreError
from sync_agent.store.mail_jobs import MailSender
from sync_agent.store.outbox import Outbox
from sync_agent.store.status import breaker_recorder, snapshot

log = logging.getLogger("sync_agent.agent.cli")

READ_ONLY_COMMANDS = frozenset({"status", "check"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-sync", description=(
        "The kiosk's sync agent: delivers the outbox (returns, offline rents, cancels) to the "
        "central API and keeps the local read model fresh."))
    parser.add_argument("--config", type=Path, default=None,
                        help="TOML configuration file (default /etc/kiosk/kiosk.toml, if present)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the agent until SIGTERM (systemd-ready)")
    commands.add_parser("status", help="print the outbox and breaker status as JSON")
    drain = commands.add_parser("drain", help="deliver everything now; exit 0 when nothing is left")
    drain.add_argument("--timeout", type=float, default=60.0, metavar="S",
                       help="give up after S seconds (default 60)")
    commands.add_parser("check", help="run SQLite's integrity check on the store; exit 0 if ok")
    retry = commands.add_parser("retry-dead", help="re-queue dead letters after fixing their cause")
    retry.add_argument("--id", type=int, default=None, help="only this entry (default: all)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # the agent logs to stdout for journald; the one-shot commands keep stdout for their JSON
    configure_logging(args.log_level, None if args.command == "run" else sys.stderr)
    quiet_http_client()
    try:
        settings = load_settings(args.config)
        if args.command in READ_ONLY_COMMANDS:
            store = Store.open_readonly(settings.db_path)
        else:
            store = Store.open(settings.db_path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"kiosk-sync: store {exc.reason}: {exc.message}", file=sys.stderr)
        return 2
    try:
        if args.command == "status":
            print(json.dumps(snapshot(store), indent=2, sort_keys=True))
            return 0
        if args.command == "check":
            result = store.integrity_check()
            print(json.dumps({"integrity": result}))
            return 0 if result == "ok" else 2
        if args.command == "retry-dead":
            count = Outbox(store, settings.id).retry_dead(args.id)
            print(json.dumps({"requeued": count}))
            return 0
        reload = partial(load_settings, args.config)  # a replaced token is used without a restart
        if args.command == "drain":
            return asyncio.run(_drain(store, settings, args.timeout, reload))
        return asyncio.run(_run(store, settings, reload))
    except StoreError as exc:
        print(f"kiosk-sync: store {exc.reason}: {exc.message}", file=sys.stderr)
        return 2
    finally:
        store.close()


async def _drain(store: Store, settings: Settings, timeout_s: float,
                 reload: Callable[[], Settings]) -> int:
    async with open_central(settings, owner="agent") as client:
        client.breakers.report_to(breaker_recorder(store, "agent"))
        relay = Relay(store, client, settings, role="drain", reload=reload)
        _stop_on_signals(relay)
        result = await relay.drain(timeout_s)
    dead = len(relay.outbox.dead_letters())
    print(json.dumps({"delivered": result.delivered, "dead_lettered": result.dead,
                      "pending": result.pending, "in_flight": result.in_flight,
                      "dead_letters": dead, "elapsed_s": round(result.elapsed_s, 3)}))
    if not result.empty:
        return 1
    return 3 if dead else 0


async def _run(store: Store, settings: Settings, reload: Callable[[], Settings]) -> int:
    async with open_central(settings, owner="agent") as client:
        client.breakers.report_to(breaker_recorder(store, "agent"))
        relay = Relay(store, client, settings, role="agent", reload=reload)
        _stop_on_signals(relay)
        watchdog = asyncio.create_task(watchdog_pings(relay))
        mail_sender = MailSender(store, settings)
        mail = asyncio.create_task(mail_sender.run())
        metrics = serve_metrics(store, settings, relay.pacer)
        log.info("kiosk-sync running for %s against %s", settings.id,
                 f"SIP2 {settings.sip2_host}:{settings.sip2_port}" if settings.central == "sip2" else settings.api_url)
        notify("READY=1")
        try:
            if settings.central == "sip2":  # log in now: a refused login shows with nothing to deliver
                await asyncio.to_thread(relay.gate.restore)
                relay.gate.login(await client.health())
            await relay.run()
        finally:
            notify("STOPPING=1")
            watchdog.cancel()
            mail_sender.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            with contextlib.suppress(asyncio.CancelledError):
                await mail
            if metrics is not None:
                metrics.shutdown()
                metrics.server_close()
    log.info("kiosk-sync stopped")
    return 0


def _stop_on_signals(relay: Relay) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, relay.stop)


async def watchdog_pings(relay: Relay) -> None:
    """Ping systemd's watchdog while the relay loop makes progress: an idle loop goes round every
    poll, and no delivery outlasts a claim's lease."""
    interval = watchdog_interval_s()
    if interval is None:
        return
    stale_after = max(2 * interval, relay.lease_s)
    while True:
        if time.monotonic() - relay.heartbeat < stale_after:
            notify("WATCHDOG=1")
        else:
            log.error("the delivery loop made no progress for %.0f s: no watchdog ping", stale_after)
        await asyncio.sleep(interval)
