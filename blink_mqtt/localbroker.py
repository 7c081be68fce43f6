"""A private mosquitto for `blink-mqtt demo` when no broker listens where the settings say."""

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

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 10.0


def is_listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def mosquitto_binary() -> str | None:
    candidates = (shutil.which("mosquitto"), "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
    return next((c for c in candidates if c and Path(c).exists()), None)


async def _wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while not is_listening("127.0.0.1", port):
            if process.returncode is not None:
                raise RuntimeError(f"mosquitto exited with status {process.returncode}")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def private_broker(port: int) -> AsyncIterator[str]:
    """Run mosquitto on 127.0.0.1:`port` for the duration; yields its address."""
    binary = mosquitto_binary()
    if binary is None:
        raise RuntimeError("no MQTT broker listens there and no mosquitto binary is installed")
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
