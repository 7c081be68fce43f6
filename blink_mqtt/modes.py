"""The three ways to run: `run` (the service), `demo` (with the simulator), `login`."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import signal
import sys
from collections.abc import AsyncIterator

from pydantic import SecretStr

from blink_mqtt import oneshot
from blink_mqtt.account import BlinkAccount
from blink_mqtt.errors import BlinkMqttError, ConfigError, StorageError, UserFacingError
from blink_mqtt.localbroker import free_port, private_broker
from blink_mqtt.service import Service
from blink_mqtt.settings import Settings
from blink_mqtt.state import AuthStatus

log = logging.getLogger(__name__)

LOGIN_TRIES = 3
DEMO_DEFAULTS = {
    "mqtt_base_topic": "blink-demo",
    "mqtt_client_id": "blink-mqtt-demo",
    "ha_discovery": False,
}


async def serve_until_signal(service: Service) -> int:
    """Run the service; SIGTERM / SIGINT cancel it, which publishes `offline` and exits."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await service.run()
    except asyncio.CancelledError:
        task.uncancel()  # handled: what follows (e.g. the demo's clean-up) may still await
        log.info("Stopped")
    except StorageError as err:
        print(f"blink-mqtt: {err.message}", file=sys.stderr)
        return 1
    except ConfigError as err:  # found only when starting (e.g. HTTP_PORT already in use)
        print(f"blink-mqtt: invalid configuration: {err}", file=sys.stderr)
        return 1
    except Exception:  # a long-lived task died: exit non-zero so a supervisor restarts us
        log.critical("The bridge stopped because of a bug; exiting with status 1", exc_info=True)
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 0


def is_demo(settings: Settings) -> bool:
    """No account and no simulator configured: `run` runs the demo."""
    return not settings.has_account and not settings.blink_simulator_url


async def run(settings: Settings) -> int:
    if is_demo(settings):
        log.warning("No Blink account configured (BLINK_USERNAME): running the built-in simulator")
        return await demo(settings)
    await oneshot.check_broker(settings)
    return await serve_until_signal(Service(settings))


def explicit_broker(settings: Settings) -> bool:
    """MQTT_HOST or MQTT_PORT set (environment, .env or code): the user chose a broker."""
    return bool({"mqtt_host", "mqtt_port"} & settings.model_fields_set)


def sandboxed(settings: Settings) -> Settings:
    """The demo's settings on a broker it did not start: its own base topic, client id and
    no discovery, each unless set explicitly."""
    update = {k: v for k, v in DEMO_DEFAULTS.items() if k not in settings.model_fields_set}
    return settings.model_copy(update=update)


@contextlib.asynccontextmanager
async def _broker_for(settings: Settings) -> AsyncIterator[tuple[Settings, bool]]:
    """(settings to use, whether the broker is someone else's): the configured broker when
    MQTT_HOST or MQTT_PORT is set, else a private mosquitto on a free loopback port."""
    if explicit_broker(settings):
        shared = sandboxed(settings)
        await oneshot.check_broker(shared)
        yield shared, True
        return
    port = free_port()
    async with private_broker(port) as address:
        host, _, _ = address.rpartition(":")
        yield settings.model_copy(update={"mqtt_host": host, "mqtt_port": port}), False


def _print_try_lines(settings: Settings, simulator_url: str, scenario_camera: str) -> None:
    target = f"-h {settings.mqtt_host} -p {settings.mqtt_port}"
    base = settings.mqtt_base_topic
    print(
        f"blink-mqtt demo: Blink simulator at {simulator_url}, "
        f"MQTT broker at {settings.mqtt_host}:{settings.mqtt_port} "
        f"(base topic {base})\n"
        "Try:\n"
        f"  mosquitto_sub {target} -t '{base}/#' -T '{base}/camera/+/image' -v\n"
        f"  mosquitto_rr {target} -V mqttv5 -t {base}/request/cameras -e {base}/reply/0 -n -W 10\n"
        f"  mosquitto_rr {target} -V mqttv5 -t {base}/request/snap -e {base}/reply/1 "
        f"-m '{scenario_camera}' -W 30\n"
        f"  mosquitto_rr {target} -V mqttv5 -t {base}/request/download-since -e {base}/reply/2 "
        "-m '2000-01-01T00:00:00+00:00' -W 120",
        flush=True,
    )


async def demo(settings: Settings) -> int:
    """The bridge logged in to the in-process simulator (2FA answered automatically)."""
    from blink_mqtt.simulator import Simulator, default_scenario, serve

    scenario = default_scenario()
    simulator = Simulator(scenario)
    async with (
        _broker_for(settings) as (mqtt_settings, shared),
        serve(simulator, host="127.0.0.1", port=0) as url,
    ):
        demo_settings = mqtt_settings.model_copy(
            update={
                "blink_simulator_url": url,
                "blink_username": scenario.account.email,
                "blink_password": SecretStr(scenario.account.password),
                "blink_credentials_file": settings.data_dir / "demo-credentials.json",
                "data_dir": settings.data_dir / "demo",
            }
        )
        # each demo's simulator is new: tokens an earlier demo saved are always stale
        demo_settings.credentials_file.unlink(missing_ok=True)
        first_camera = next(cam.name for net in scenario.networks for cam in net.cameras)
        _print_try_lines(demo_settings, url, first_camera)
        service = Service(demo_settings, auto_2fa_code=scenario.two_factor.code)
        status = await serve_until_signal(service)
        if shared:
            published = {*service.mqtt.retained_topics, service.topics.bridge_state}
            await oneshot.clear_retained(demo_settings, sorted(published), lambda *_: False)
        return status


async def health(settings: Settings, wait: float) -> int:
    """One line on stdout; 0 when the bridge answers with MQTT connected and auth ok."""
    if is_demo(settings):
        if not explicit_broker(settings):
            print("unhealthy: the demo runs a private broker; set MQTT_HOST/MQTT_PORT to reach it")
            return 1
        settings = sandboxed(settings)
    topic = f"{settings.mqtt_base_topic}/request/health"
    try:
        data = await oneshot.ask_health(settings, wait)
    except oneshot.BrokerProblem as err:
        print(f"unhealthy: {err}")
        return 1
    except TimeoutError:
        print(f"unhealthy: no answer on {topic} within {wait:g} s (is the bridge running?)")
        return 1
    mqtt, auth = data.get("mqtt"), data.get("auth")
    healthy = mqtt == "connected" and auth == "ok"
    print(
        f"{'healthy' if healthy else 'unhealthy'}: mqtt {mqtt}, auth {auth}, "
        f"last refresh {data.get('last_refresh')}"
    )
    return 0 if healthy else 1


async def _ask(prompt: str, missing: str, secret: bool = False) -> str:
    """Read a line from the terminal; without one (or at end of input) say what is missing."""
    # without a terminal getpass would only warn that it cannot hide the input
    reader = getpass.getpass if secret and sys.stdin.isatty() else input
    try:
        return (await asyncio.to_thread(reader, prompt)).strip()
    except EOFError:
        raise UserFacingError(missing) from None


async def _print_status(status: AuthStatus) -> None:
    message = status.message.split("; retrying")[0]  # login does not retry: it ends
    print(f"[{status.state}] {message}", flush=True)


async def login(settings: Settings) -> int:
    """Interactive first login: asks for what is missing and the 2FA code; saves credentials."""
    if not settings.blink_username:
        email = await _ask("Blink e-mail: ", "BLINK_USERNAME is not set and no e-mail was given")
        settings = settings.model_copy(update={"blink_username": email})
    if not settings.blink_password:
        password = await _ask(
            "Blink password: ",
            "BLINK_PASSWORD (or BLINK_PASSWORD_FILE) is not set and no password was given",
            secret=True,
        )
        settings = settings.model_copy(update={"blink_password": SecretStr(password)})
    account = BlinkAccount(settings, on_auth=_print_status)
    try:
        status = await _log_in(account)
    finally:
        await account.close()
    if status.state != "ok":
        print(f"Login failed: {status.message.split('; retrying')[0]}", file=sys.stderr)
        return 1
    print(
        f"Logged in. Credentials saved to {settings.credentials_file} (mode 0600); "
        "`blink-mqtt run` now starts without 2FA."
    )
    return 0


async def _log_in(account: BlinkAccount) -> AuthStatus:
    status = await account.start(use_saved=False)
    for _ in range(LOGIN_TRIES):
        if status.state != "2fa_required":
            break
        code = await _ask(
            "2FA code from Blink's e-mail or SMS: ",
            "no 2FA code given (end of input); run login again in a terminal, or send the "
            "code to the running bridge (<base>/request/2fa or Home Assistant)",
        )
        try:
            status = await account.submit_2fa(code)
        except BlinkMqttError as err:  # a wrong code: tell and ask again
            print(err.message, file=sys.stderr)
    return status
