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
from blink_mqtt.errors import ConfigError, UserFacingError
from blink_mqtt.settings import Settings, load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "run the bridge (the simulator stands in when no account is set)",
        "Run the bridge: log in to Blink (saved credentials first), publish state, answer "
        "requests, until SIGTERM / Ctrl-C. Without BLINK_USERNAME it runs the demo instead.",
    ),
    "demo": (
        "run the bridge against the built-in simulator",
        "Run the bridge against the built-in Blink cloud simulator. Without MQTT_HOST / "
        "MQTT_PORT it starts a private mosquitto on a free port; on a broker it did not "
        "start it uses base topic blink-demo, client id blink-mqtt-demo, no discovery, and "
        "clears what it retained there when it stops.",
    ),
    "login": (
        "log in interactively (asks for the 2FA code) and save credentials",
        "Log in to Blink once: asks for a missing e-mail or password and for the 2FA code, "
        "then saves the refresh token to BLINK_CREDENTIALS_FILE (mode 0600). Exit 0 when "
        "logged in, 1 otherwise; the last line says which.",
    ),
    "check-config": (
        "print the effective settings, secrets masked",
        "Print every setting as NAME=value with secrets masked. Exit 1 with one line naming "
        "the variable when a value is invalid.",
    ),
    "health": (
        "ask the running bridge whether it is healthy (Docker HEALTHCHECK)",
        "Send `health` to the running bridge over MQTT. Prints one line; exit 0 when it "
        "answers with MQTT connected and Blink auth ok, 1 otherwise.",
    ),
    "liveview-pipe": (
        "write a camera's live view as MPEG-TS to stdout (go2rtc's exec: source)",
        "Ask the running bridge for a live view of CAMERA over MQTT and write its MPEG-TS "
        "to stdout until the session ends. Exit 1 with one line when it is refused.",
    ),
    "simulator": (
        "serve the Blink cloud simulator on its own",
        "Serve the Blink cloud simulator (account demo@example.com / demo-password, 2FA "
        "code 123456) until Ctrl-C.",
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blink-mqtt",
        description="Blink cameras on an MQTT broker. Settings come from the environment and .env.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {
        name: sub.add_parser(name, help=short, description=long)
        for name, (short, long) in SUBCOMMANDS.items()
    }
    parsers["health"].add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for the answer (default 10)"
    )
    parsers["liveview-pipe"].add_argument("camera", help="camera name, slug or serial")
    sim = parsers["simulator"]
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


def _run(command: str, settings: Settings, args: argparse.Namespace) -> int:
    from blink_mqtt import modes  # imported late: check-config must not need a broker stack

    if command == "health":
        return asyncio.run(modes.health(settings, args.timeout))
    if command == "liveview-pipe":
        from blink_mqtt.liveview.pipe import pipe

        return asyncio.run(pipe(settings, args.camera))
    runners = {"run": modes.run, "demo": modes.demo, "login": modes.login}
    return asyncio.run(runners[command](settings))


def _simulator(args: argparse.Namespace) -> int:
    from blink_mqtt.simulator import run_standalone

    _configure_logging("INFO")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_standalone(args.host, args.port, args.scenario))
    except OSError as err:
        print(
            f"blink-mqtt simulator: cannot listen on {args.host}:{args.port} (--host/--port): "
            f"{err.strerror or err}",
            file=sys.stderr,
        )
        return 1
    return 0


def _quiet_for_login(level: str) -> None:
    """`login` speaks for itself: one line per state, no library chatter."""
    if logging.getLevelName(level) > logging.DEBUG:
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("blinkpy").setLevel(logging.CRITICAL)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    try:
        return _main(args)
    except KeyboardInterrupt:
        return 130
    except (ConfigError, UserFacingError) as error:
        print(f"blink-mqtt {args.command}: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the last resort: one line, never a traceback
        logging.getLogger(__name__).debug("Unexpected failure", exc_info=True)
        print(
            f"blink-mqtt {args.command}: unexpected {type(error).__name__}: {error} "
            "(LOG_LEVEL=DEBUG shows details)",
            file=sys.stderr,
        )
        return 1


def _main(args: argparse.Namespace) -> int:
    if args.command == "simulator":
        return _simulator(args)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"blink-mqtt: invalid configuration: {error}", file=sys.stderr)
        return 1
    _configure_logging(settings.log_level)
    if args.command == "check-config":
        return _check_config(settings)
    if args.command == "login":
        _quiet_for_login(settings.log_level)
    return _run(args.command, settings, args)


if __name__ == "__main__":
    sys.exit(main())
