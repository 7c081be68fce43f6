"""The command line as a user runs it: help, check-config, bad settings, the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

from blinkpy.auth import Auth, BlinkTwoFARequiredError
from blinkpy.blinkpy import Blink

from blink_mqtt.service import Service
from blink_mqtt.simulator import routed_session
from tests.bridge_env import AnyBroker, bridge_settings, simulator
from tests.broker import free_port
from tests.probe import Probe
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


async def test_interactive_login_saves_credentials_then_run_needs_no_2fa(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """`blink-mqtt login` asks for the code (a wrong one first), saves 0600 credentials
    without the password; the bridge then starts from them with no new login."""
    async with simulator() as (sim, url):
        env = {
            "BLINK_USERNAME": EMAIL,
            "BLINK_PASSWORD": PASSWORD,
            "BLINK_SIMULATOR_URL": url,
            "DATA_DIR": str(tmp_path / "data"),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "blink_mqtt",
            "login",
            cwd=tmp_path,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_"))},
                **env,
            },
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(b"000000\n" + CODE.encode() + b"\n"), 60)
        assert proc.returncode == 0, err.decode()
        assert "rejected the 2FA code" in err.decode()
        saved = tmp_path / "data" / "credentials.json"
        assert saved.stat().st_mode & 0o777 == 0o600
        assert PASSWORD not in saved.read_text()
        assert str(saved) in out.decode()
        logins = sim.counters()["full_logins"]
        assert logins == 1
        settings = bridge_settings(broker, base_topic, tmp_path, url, data_dir=tmp_path / "data")
        async with Probe(broker.host, broker.port, [f"{base_topic}/#"]) as probe:
            task = asyncio.create_task(Service(settings).run())
            try:
                await probe.wait_for(
                    f"{base_topic}/bridge/auth", lambda m: m.json()["state"] == "ok"
                )
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        assert sim.counters()["full_logins"] == logins
        assert sim.counters()["twofa_ok"] == 1
