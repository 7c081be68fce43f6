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

from blink_mqtt.account import BlinkAccount
from blink_mqtt.errors import StorageError
from blink_mqtt.localbroker import is_listening, private_broker
from blink_mqtt.service import Service
from blink_mqtt.settings import Settings
from blink_mqtt.state import AuthStatus

log = logging.getLogger(__name__)

LOGIN_TRIES = 3


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
        log.info("Stopped")
    except StorageError as err:
        print(f"blink-mqtt: {err.message}", file=sys.stderr)
        return 1
    except Exception:  # a long-lived task died: exit non-zero so a supervisor restarts us
        log.critical("The bridge stopped because of a bug; exiting with status 1", exc_info=True)
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 0


async def run(settings: Settings) -> int:
    if not settings.has_account and not settings.blink_simulator_url:
        log.warning("No Blink account configured (BLINK_USERNAME): running the built-in simulator")
        return await demo(settings)
    return await serve_until_signal(Service(settings))


@contextlib.asynccontextmanager
async def _broker_for(settings: Settings) -> AsyncIterator[None]:
    """Use the configured broker, or start a private mosquitto where it should be."""
    local = settings.mqtt_host in ("localhost", "127.0.0.1", "::1")
    if local and not is_listening(settings.mqtt_host, settings.mqtt_port):
        async with private_broker(settings.mqtt_port):
            yield
    else:
        yield


def _print_try_lines(settings: Settings, simulator_url: str, scenario_camera: str) -> None:
    target = f"-h {settings.mqtt_host} -p {settings.mqtt_port}"
    base = settings.mqtt_base_topic
    print(
        f"blink-mqtt demo: Blink simulator at {simulator_url}, "
        f"MQTT broker at {settings.mqtt_host}:{settings.mqtt_port}\n"
        "Try:\n"
        f"  mosquitto_sub {target} -t '{base}/#' -v\n"
        f"  mosquitto_rr {target} -V mqttv5 -t {base}/request/snap -e reply/1 "
        f"-m '{scenario_camera}' -W 30\n"
        f"  mosquitto_rr {target} -V mqttv5 -t {base}/request/download-since -e reply/2 "
        "-m '2000-01-01T00:00:00+00:00' -W 120",
        flush=True,
    )


async def demo(settings: Settings) -> int:
    """The bridge logged in to the in-process simulator (2FA answered automatically)."""
    from blink_mqtt.simulator import Simulator, default_scenario, serve

    scenario = default_scenario()
    simulator = Simulator(scenario)
    async with serve(simulator, host="127.0.0.1", port=0) as url, _broker_for(settings):
        demo_settings = settings.model_copy(
            update={
                "blink_simulator_url": url,
                "blink_username": scenario.account.email,
                "blink_password": SecretStr(scenario.account.password),
                "blink_credentials_file": settings.data_dir / "demo-credentials.json",
                "data_dir": settings.data_dir / "demo",
            }
        )
        first_camera = next(cam.name for net in scenario.networks for cam in net.cameras)
        _print_try_lines(demo_settings, url, first_camera)
        return await serve_until_signal(
            Service(demo_settings, auto_2fa_code=scenario.two_factor.code)
        )


async def _ask(prompt: str, secret: bool = False) -> str:
    reader = getpass.getpass if secret else input
    return (await asyncio.to_thread(reader, prompt)).strip()


async def _print_status(status: AuthStatus) -> None:
    print(f"[{status.state}] {status.message}", flush=True)


async def login(settings: Settings) -> int:
    """Interactive first login: asks for what is missing and the 2FA code; saves credentials."""
    if not settings.blink_username:
        settings = settings.model_copy(update={"blink_username": await _ask("Blink e-mail: ")})
    if not settings.blink_password:
        password = await _ask("Blink password: ", secret=True)
        settings = settings.model_copy(update={"blink_password": SecretStr(password)})
    account = BlinkAccount(settings, on_auth=_print_status)
    try:
        status = await account.start(use_saved=False)
        for _ in range(LOGIN_TRIES):
            if status.state != "2fa_required":
                break
            code = await _ask("2FA code from Blink's e-mail or SMS: ")
            try:
                status = await account.submit_2fa(code)
            except Exception as err:  # a wrong code: tell and ask again
                print(getattr(err, "message", str(err)), file=sys.stderr)
    finally:
        await account.close()
    if status.state != "ok":
        print(f"Login failed: {status.message}", file=sys.stderr)
        return 1
    print(
        f"Logged in. Credentials saved to {settings.credentials_file} (mode 0600); "
        "`blink-mqtt run` now starts without 2FA."
    )
    return 0
