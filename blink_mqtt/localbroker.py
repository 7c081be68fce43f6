"""A private mosquitto for `blink-mqtt demo` when MQTT_HOST / MQTT_PORT are not set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from blink_mqtt.errors import UserFacingError

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 10.0


class BrokerMissing(UserFacingError):
    """The private broker cannot be started; the message is one line."""


def is_listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def free_port() -> int:
    """A TCP port nothing listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mosquitto_binary() -> str | None:
    candidates = (shutil.which("mosquitto"), "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
    return next((c for c in candidates if c and Path(c).exists()), None)


async def _wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT):
            while not is_listening("127.0.0.1", port):
                if process.returncode is not None:
                    raise BrokerMissing(
                        f"the demo's mosquitto exited with status {process.returncode}"
                    )
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise BrokerMissing(
            f"the demo's mosquitto did not listen on 127.0.0.1:{port} within {STARTUP_TIMEOUT} s"
        ) from None


@contextlib.asynccontextmanager
async def private_broker(port: int) -> AsyncIterator[str]:
    """Run mosquitto on 127.0.0.1:`port` for the duration; yields its address."""
    binary = mosquitto_binary()
    if binary is None:
        raise BrokerMissing(
            "the demo starts its own mosquitto, which is not installed: install it "
            "(apt-get install mosquitto) or set MQTT_HOST/MQTT_PORT to a broker"
        )
    with tempfile.TemporaryDirectory(prefix="blink-mqtt-broker-") as workdir:
        config = Path(workdir) / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            # without it, a small packet written while a delayed ACK is pending waits ~40 ms
            "set_tcp_nodelay true\n" + ("user root\n" if os.geteuid() == 0 else "")
        )
        process = await asyncio.create_subprocess_exec(
            binary,
            "-c",
            str(config),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C must not stop it before the bridge says offline
        )
        try:
            await _wait_listening(port, process)
            log.info("Started a private mosquitto on 127.0.0.1:%s", port)
            yield f"127.0.0.1:{port}"
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
