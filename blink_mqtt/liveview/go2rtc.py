"""RTSP through go2rtc (github.com/AlexxIT/go2rtc), started and configured by the bridge.

The configuration has one on-demand `exec:` source per camera, as ring-mqtt does it
(tsightler/ring-mqtt `lib/go2rtc.js`): when the first RTSP viewer of a camera connects,
go2rtc runs `python -m blink_mqtt liveview-pipe <camera>`, which asks the bridge for a
live view and writes its MPEG-TS to stdout; when the last viewer leaves, go2rtc ends
that process, its TCP client goes away, and the session ends 5 s later. go2rtc reads
MPEG-TS from an `exec:` command's stdout (its "pipe" transport, go2rtc v1.5.0 on:
`internal/exec/README.md` in AlexxIT/go2rtc). The file is
JSON (which YAML reads), written to DATA_DIR/go2rtc.yaml with mode 0600 (it may hold
the RTSP password); go2rtc is restarted when the camera list changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from blink_mqtt import redact
from blink_mqtt.settings import Settings
from blink_mqtt.state import CameraState

log = logging.getLogger(__name__)

CONFIG_NAME = "go2rtc.yaml"
RESTART_FIRST, RESTART_CAP = 5.0, 300.0
STOP_WAIT = 5.0
MQTT_SETTINGS = (
    "mqtt_host",
    "mqtt_port",
    "mqtt_username",
    "mqtt_password",
    "mqtt_tls",
    "mqtt_ca_file",
    "mqtt_protocol",
    "mqtt_base_topic",
    "mqtt_client_id",
    "liveview_host",
    "data_dir",
    "log_level",
)
"""Handed to the pipes go2rtc starts, so that they reach this bridge (the demo's private
broker included) whatever the environment said."""


def url_host(host: str) -> str:
    """The host to put in URLs: the listening address, or this machine's name when it
    listens on every address."""
    return socket.getfqdn() if host in ("0.0.0.0", "::", "") else host  # noqa: S104


def config(settings: Settings, cameras: Iterable[CameraState]) -> dict[str, Any]:
    """go2rtc's configuration (pure)."""
    rtsp: dict[str, Any] = {"listen": f"{settings.liveview_host}:{settings.liveview_rtsp_port}"}
    if settings.liveview_rtsp_username and settings.liveview_rtsp_password:
        rtsp["username"] = settings.liveview_rtsp_username
        rtsp["password"] = settings.liveview_rtsp_password.get_secret_value()
    python = sys.executable or "python3"
    return {
        "api": {"listen": ""},
        "webrtc": {"listen": ""},
        "srtp": {"listen": ""},
        "rtsp": rtsp,
        "log": {"level": "info"},
        "streams": {
            camera.slug: f"exec:{python} -m blink_mqtt liveview-pipe {camera.slug}"
            for camera in cameras
        },
    }


def pipe_environment(settings: Settings) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in ("MQTT_PASSWORD_FILE", "MQTT_USERNAME_FILE")
    }
    for name in MQTT_SETTINGS:
        value = getattr(settings, name)
        if value is None:
            env.pop(name.upper(), None)
            continue
        raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        env[name.upper()] = str(raw).lower() if isinstance(raw, bool) else str(raw)
    return env


class Go2Rtc:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.liveview_rtsp_password is not None:
            redact.register(settings.liveview_rtsp_password.get_secret_value())
        self.path: Path = settings.data_dir / CONFIG_NAME
        self.binary = shutil.which(settings.liveview_rtsp_program)
        self._cameras: tuple[CameraState, ...] | None = None
        self._changed = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return self.binary is not None and self.settings.liveview_rtsp_port > 0

    def rtsp_url(self, camera: CameraState) -> str | None:
        if not self.enabled:
            return None
        host = url_host(self.settings.liveview_host)
        return f"rtsp://{host}:{self.settings.liveview_rtsp_port}/{camera.slug}"

    def update(self, cameras: tuple[CameraState, ...]) -> None:
        """The account's cameras changed: write the configuration again, restart go2rtc."""
        self._cameras = cameras
        if self.settings.liveview_rtsp_port > 0:
            self._write(cameras)
        self._changed.set()

    def _write(self, cameras: tuple[CameraState, ...]) -> None:
        body = json.dumps(config(self.settings, cameras), indent=2)
        temp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(body)
            os.replace(temp, self.path)
        except OSError as err:
            log.error("Cannot write go2rtc's configuration %s: %s", self.path, err.strerror)

    async def run(self) -> None:
        """Keep go2rtc running with the current configuration, until cancelled."""
        if self.settings.liveview_rtsp_port <= 0:
            return
        if self.binary is None:
            log.warning(
                "go2rtc not found (LIVEVIEW_RTSP_PROGRAM=%s): no RTSP; live view stays available "
                "as raw MPEG-TS over TCP",
                self.settings.liveview_rtsp_program,
            )
            return
        pause = RESTART_FIRST
        while True:
            await self._changed.wait()
            self._changed.clear()
            if not self._cameras:
                continue
            ended_by_change = await self._run_once(self.binary)
            if ended_by_change:
                pause = RESTART_FIRST
                continue
            log.warning("go2rtc exited; starting it again in %.0f s", pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RESTART_CAP)
            self._changed.set()

    async def _run_once(self, binary: str) -> bool:
        """Run go2rtc until it exits (False) or the configuration changes (True)."""
        process = await asyncio.create_subprocess_exec(
            binary,
            "-config",
            str(self.path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=pipe_environment(self.settings),
        )
        log.info("go2rtc started (RTSP on port %d)", self.settings.liveview_rtsp_port)
        logging_task = asyncio.create_task(_log_lines(process))
        change = asyncio.create_task(self._changed.wait())
        try:
            done, _ = await asyncio.wait(
                {logging_task, change}, return_when=asyncio.FIRST_COMPLETED
            )
            return change in done
        finally:
            change.cancel()
            await asyncio.shield(_stop(process))
            logging_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await logging_task


async def _log_lines(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    while line := await process.stdout.readline():
        log.debug("go2rtc: %s", line.decode("utf-8", "replace").rstrip())
    await process.wait()


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_WAIT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
