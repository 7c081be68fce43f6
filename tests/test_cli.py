"""The command line as a user runs it: help, check-config, bad settings, the simulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from blinkpy.auth import Auth, BlinkTwoFARequiredError
from blinkpy.blinkpy import Blink

from blink_mqtt.simulator import routed_session
from tests.broker import free_port
from tests.sim_fixtures import CODE, EMAIL, PASSWORD


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_"))}
    clean.pop("USERNAME", None)
    clean.pop("PASSWORD", None)
    return subprocess.run(
        [sys.executable, "-m", "blink_mqtt", *args],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_subcommand() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "demo", "login", "check-config", "simulator"):
        assert command in result.stdout


def test_check_config_masks_secrets(tmp_path: Path) -> None:
    result = run_cli(
        "check-config",
        env={
            "BLINK_USERNAME": "me@example.com",
            "BLINK_PASSWORD": "hunter2-secret",
            "MQTT_PASSWORD": "mqtt-secret",
            "MQTT_PORT": "1884",
        },
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "BLINK_PASSWORD=***" in lines
    assert "MQTT_PASSWORD=***" in lines
    assert "MQTT_PORT=1884" in lines
    assert "BLINK_USERNAME=me@example.com" in lines
    assert "hunter2" not in result.stdout + result.stderr
    assert "mqtt-secret" not in result.stdout + result.stderr


def test_check_config_reads_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MQTT_BASE_TOPIC=house/blink\nRECENTS_TOTAL=5\n")
    result = run_cli("check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MQTT_BASE_TOPIC=house/blink" in result.stdout.splitlines()
    assert "RECENTS_TOTAL=5" in result.stdout.splitlines()


def test_invalid_setting_is_one_clear_line(tmp_path: Path) -> None:
    for env, name in (
        ({"MQTT_PORT": "abc"}, "MQTT_PORT"),
        ({"TZ": "Mars/Olympus"}, "TZ"),
        ({"MQTT_PROTOCOL": "4.0"}, "MQTT_PROTOCOL"),
        ({"DOWNLOAD_CONCURRENCY": "0"}, "DOWNLOAD_CONCURRENCY"),
    ):
        result = run_cli("check-config", env=env, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert name in result.stderr
        assert "Traceback" not in result.stderr
        bad = run_cli("run", env=env, cwd=tmp_path)
        assert bad.returncode == 1
        assert "Traceback" not in bad.stderr


def test_legacy_names_work_with_a_warning(tmp_path: Path) -> None:
    result = run_cli(
        "check-config", env={"USERNAME": "old@example.com", "PASSWORD": "pw-legacy-1"}, cwd=tmp_path
    )
    assert result.returncode == 0
    assert "BLINK_USERNAME=old@example.com" in result.stdout.splitlines()
    assert "USERNAME is deprecated" in result.stderr
    assert "pw-legacy-1" not in result.stdout + result.stderr


def test_fast_polling_warns(tmp_path: Path) -> None:
    result = run_cli("check-config", env={"REFRESH_INTERVAL": "5"}, cwd=tmp_path)
    assert result.returncode == 0
    assert "REFRESH_INTERVAL" in result.stderr


async def test_simulator_subcommand_serves_unmodified_blinkpy() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "blink_mqtt",
        "simulator",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        url = f"http://127.0.0.1:{port}"
        assert url in line
        async with routed_session(url) as session:
            blink = Blink(session=session, no_owls=True)
            blink.auth = Auth(
                {"username": EMAIL, "password": PASSWORD}, no_prompt=True, session=session
            )
            try:
                await blink.start()
            except BlinkTwoFARequiredError:
                assert await blink.send_2fa_code(CODE)
            assert {"Front Door", "Backyard"} <= set(blink.cameras)
    finally:
        proc.terminate()
        await proc.wait()
