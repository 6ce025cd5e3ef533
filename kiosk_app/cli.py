"""``kiosk``: the patron app and its maintenance commands.

Subcommands are registered in :data:`COMMANDS` (name → (help, add_arguments, run)), so a new one
is one function and one entry. The settings model is imported only by the commands that need it
before they start; ``kiosk run`` loads it after its first frame (:mod:`kiosk_app.start`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync_agent.settings import Settings


def _run(_settings: Settings | None, args: argparse.Namespace) -> int:
    """The full-screen kiosk on the configured scanner, store and central API: the welcome
    screen first, the settings, store and central side after it (:mod:`kiosk_app.start`).

    SIGTERM, SIGHUP or a terminal that went away end it within seconds, store closed
    (:mod:`kiosk_app.shutdown`); under systemd its event loop feeds the watchdog
    (:mod:`kiosk_app.watchdog`), the out-of-service screen's included."""
    from kiosk_app import first_paint, logbook, start
    from kiosk_app.shutdown import ExitGuard

    paint = first_paint.read(args.config)
    recent = logbook.install(paint.data_dir)
    with ExitGuard() as guard:
        return asyncio.run(start.serve(args.config, paint, recent, guard))


def _screen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--foot-config", type=Path, default=None,
                        help="foot's settings (default /etc/kiosk/foot.ini)")


def _screen(settings: Settings, args: argparse.Namespace) -> int:
    """foot, full screen under cage, with 12 mm text on this display, running ``kiosk run``
    (:mod:`kiosk_app.terminal`). Its one line about the display goes to the journal."""
    import logging

    from kiosk_app import terminal

    logging.basicConfig(level=logging.INFO, format="kiosk screen: %(message)s", stream=sys.stderr)
    return terminal.run(settings, args.config, args.foot_config or terminal.FOOT_CONFIG)


def _tech_pin_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", action="store_true",
                        help="print only the hash (for KIOSK_TECH_PIN_HASH), not the TOML line")


def _tech_pin(_settings: Settings | None, args: argparse.Namespace) -> int:
    """Ask for a PIN twice (or read it from stdin) and print its salted scrypt hash."""
    from kiosk_app.techpin import MAX_DIGITS, MIN_DIGITS, hash_pin

    if sys.stdin.isatty():
        pin = getpass.getpass(f"technician PIN ({MIN_DIGITS}-{MAX_DIGITS} digits): ")
        if getpass.getpass("again: ") != pin:
            print("kiosk tech-pin: the two PINs differ", file=sys.stderr)
            return 2
    else:
        pin = sys.stdin.readline().strip()
    try:
        encoded = hash_pin(pin)
    except ValueError as exc:
        print(f"kiosk tech-pin: {exc}", file=sys.stderr)
        return 2
    print(encoded if args.raw else f'tech_pin_hash = "{encoded}"')
    return 0


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["check"], help="check: validate and print, secrets hidden")


def _config_check(settings: Settings, args: argparse.Namespace) -> int:
    """Validate the configuration (a bad value exits 2 naming the key) and print it, saying which
    file it came from (or that there was none) and warning of KIOSK_* variables that are no setting."""
    from kiosk_app.diagnostics import config_summary
    from sync_agent.settings import DEFAULT_CONFIG_PATH, config_file, unknown_variables

    source = config_file(args.config)
    print(f"# read {source}" if source else
          f"# no configuration file ({DEFAULT_CONFIG_PATH} does not exist): embedded defaults "
          "and KIOSK_* environment")
    for name, meant in unknown_variables():
        hint = f" (did you mean {meant}?)" if meant else ""
        print(f"kiosk: warning: {name} is not a setting and is ignored{hint}", file=sys.stderr)
    for key, value in config_summary(settings):
        print(f"{key} = {value}")
    return 0


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder of the demo's databases and logs (default ./var/demo-<time>, "
                             "or a temporary folder if ./var is not writable)")
    parser.add_argument("--central", choices=["rest", "sip2"], default="rest",
                        help="the library system the demo plays: the REST stand-in (default) or "
                             "a fake SIP2 ACS")


def _demo(_settings: Settings | None, args: argparse.Namespace) -> int:
    """Stand-in, agent and app with a simulated scanner, on embedded defaults (or --config)."""
    from kiosk_demo.demo import run

    return run(args.config, args)


Command = Callable[["Settings", argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None] | None, Command, bool]] = {
    "run": ("run the full-screen kiosk app", None, _run, False),
    "screen": ("start the patron terminal (foot) with text of a legal size on this display, "
               "running `kiosk run`; kiosk.service runs it under cage", _screen_arguments, _screen,
               True),
    "tech-pin": ("hash a technician PIN for tech_pin_hash / KIOSK_TECH_PIN_HASH",
                 _tech_pin_arguments, _tech_pin, False),
    "config": ("validate the configuration and print it, secrets hidden", _config_arguments,
               _config_check, True),
    "demo": ("the whole kiosk in one terminal: stand-in, agent, app, a simulated scanner and a "
             "panel to scan by tap and switch faults", _demo_arguments, _demo, False),
}
"""name → (help, add_arguments, run, needs settings)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Library self-service kiosk.")
    parser.add_argument("--config", type=Path, default=None,
                        help="TOML settings file (default /etc/kiosk/kiosk.toml); KIOSK_* overrides")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_arguments, _run_command, _needs) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if add_arguments:
            add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _help, _add, command, needs_settings = COMMANDS[args.command]
    settings = None
    if needs_settings:
        from sync_agent.settings import ConfigError, load_settings

        try:
            settings = load_settings(args.config)
        except ConfigError as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
    return command(settings, args)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
