"""Command line: parse arguments, load settings, configure logging, run."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from blink_mqtt import __version__, redact
from blink_mqtt.errors import ConfigError
from blink_mqtt.settings import Settings, load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blink-mqtt",
        description="Blink cameras on an MQTT broker. Settings come from the environment and .env.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the bridge (the simulator stands in when no account is set)")
    sub.add_parser("demo", help="run the bridge against the built-in simulator")
    sub.add_parser(
        "login", help="log in interactively (asks for the 2FA code) and save credentials"
    )
    sub.add_parser("check-config", help="print the effective settings, secrets masked")
    sim = sub.add_parser("simulator", help="serve the Blink cloud simulator on its own")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument("--port", type=int, default=8899, help="port to listen on")
    sim.add_argument("--scenario", type=Path, default=None, help="scenario JSON file")
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr, force=True)
    for handler in logging.getLogger().handlers:
        redact.install(handler)  # passwords and tokens never reach a log line
    # blinkpy logs response bodies at DEBUG/ERROR; keep it a level quieter than ours.
    logging.getLogger("blinkpy").setLevel(max(logging.getLevelName(level), logging.WARNING))


def _check_config(settings: Settings) -> int:
    for name, value in settings.masked().items():
        print(f"{name}={'' if value is None else value}")
    return 0


def _run(command: str, settings: Settings) -> int:
    from blink_mqtt import modes  # imported late: check-config must not need a broker stack

    runners = {"run": modes.run, "demo": modes.demo, "login": modes.login}
    return asyncio.run(runners[command](settings))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    if args.command == "simulator":
        from blink_mqtt.simulator import run_standalone

        _configure_logging("INFO")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_standalone(args.host, args.port, args.scenario))
        return 0
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"blink-mqtt: invalid configuration: {error}", file=sys.stderr)
        return 1
    _configure_logging(settings.log_level)
    if args.command == "check-config":
        return _check_config(settings)
    try:
        return _run(args.command, settings)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
