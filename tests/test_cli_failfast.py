"""Every command ends with one clear line, never a traceback; settings that can be checked
at start are checked at start; secrets can come from files (Docker secrets)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from blink_mqtt.__main__ import SUBCOMMANDS, main
from tests.bridge_env import simulator
from tests.broker import free_port
from tests.sim_fixtures import CODE, EMAIL, PASSWORD
from tests.test_cli import run_cli


def _one_line_error(result: object, *names: str) -> None:
    stderr = getattr(result, "stderr", "")
    assert getattr(result, "returncode", None) == 1
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if " WARNING " not in line]
    assert len(lines) == 1, stderr
    for name in names:
        assert name in lines[0], stderr


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"MQTT_CA_FILE": "/nonexistent/ca.pem"}, "MQTT_CA_FILE"),
        ({"PUBLIC_BASE_URL": "example.com/media"}, "PUBLIC_BASE_URL"),
        ({"BLINK_SIMULATOR_URL": "localhost:8899"}, "BLINK_SIMULATOR_URL"),
        ({"BLINK_PASSWORD_FILE": "/nonexistent/secret"}, "BLINK_PASSWORD_FILE"),
        ({"MQTT_PASSWORD": "x", "MQTT_PASSWORD_FILE": "/etc/hostname"}, "MQTT_PASSWORD_FILE"),
    ],
)
def test_checkable_settings_fail_at_check_config(
    tmp_path: Path, env: dict[str, str], name: str
) -> None:
    _one_line_error(run_cli("check-config", env=env, cwd=tmp_path), name)


def test_a_data_dir_that_is_a_file_fails_at_start(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("")
    _one_line_error(run_cli("check-config", cwd=tmp_path), "DATA_DIR")


def test_secrets_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "blink_password"
    secret.write_text("from-a-file-pw\n")
    user = tmp_path / "mqtt_user"
    user.write_text("bridge")
    result = run_cli(
        "check-config",
        env={"BLINK_PASSWORD_FILE": str(secret), "MQTT_USERNAME_FILE": str(user)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "BLINK_PASSWORD=***" in lines
    assert "MQTT_USERNAME=bridge" in lines
    assert "from-a-file-pw" not in result.stdout + result.stderr


def test_a_close_typo_in_dot_env_warns_with_the_suggestion(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MQTT_HOTS=broker\nRECENT_TOTAL=5\nPUID=1000\nOTHER_THING=1\n")
    result = run_cli("check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MQTT_HOTS in .env (ignored); did you mean MQTT_HOST?" in result.stderr
    assert "did you mean RECENTS_TOTAL?" in result.stderr
    assert "PUID" not in result.stderr
    assert "OTHER_THING" not in result.stderr


def test_run_with_an_unreachable_broker_is_one_line(tmp_path: Path) -> None:
    env = {"BLINK_USERNAME": EMAIL, "BLINK_PASSWORD": PASSWORD, "MQTT_PORT": str(free_port())}
    _one_line_error(run_cli("run", env=env, cwd=tmp_path), "MQTT_HOST/MQTT_PORT")
    _one_line_error(
        run_cli("demo", env={"MQTT_PORT": env["MQTT_PORT"]}, cwd=tmp_path), "MQTT_HOST/MQTT_PORT"
    )


def test_simulator_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _one_line_error(run_cli("simulator", "--port", str(port), cwd=tmp_path), "--port")


def test_every_subcommand_help_says_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    for command, (_, description) in SUBCOMMANDS.items():
        with pytest.raises(SystemExit) as exit_status:
            main([command, "--help"])
        assert exit_status.value.code == 0
        shown = " ".join(capsys.readouterr().out.split())
        assert " ".join(description.split()[:4]) in shown, command


async def _login(cwd: Path, env: dict[str, str], stdin: bytes) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "blink_mqtt",
        "login",
        cwd=cwd,
        env={**clean, "DATA_DIR": str(cwd / "data"), **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_login_without_a_terminal_ends_with_one_clear_line(tmp_path: Path) -> None:
    async with simulator() as (_, url):
        base = {"BLINK_SIMULATOR_URL": url}
        status, out, err = await _login(tmp_path, base, b"")
        assert status == 1
        assert err.strip() == (
            "blink-mqtt login: BLINK_USERNAME is not set and no e-mail was given"
        )
        status, out, err = await _login(tmp_path, {**base, "BLINK_USERNAME": EMAIL}, b"")
        assert status == 1
        assert err.strip().splitlines() == [
            "blink-mqtt login: BLINK_PASSWORD (or BLINK_PASSWORD_FILE) is not set and no "
            "password was given"
        ]
        env = {**base, "BLINK_USERNAME": EMAIL, "BLINK_PASSWORD": PASSWORD}
        status, out, err = await _login(tmp_path, env, b"000000\n")
        assert status == 1
        assert "Traceback" not in err
        assert " ERROR " not in err
        assert err.splitlines()[-1].startswith("blink-mqtt login: no 2FA code given")
        # each state once, in the order they happen
        assert [line for line in out.splitlines() if line.startswith("[")] == [
            "[logging_in] logging in to Blink",
            "[2fa_required] Blink is waiting for the 2FA code: send it with the 2fa command",
        ]
        status, out, err = await _login(tmp_path, env, CODE.encode() + b"\n")
        assert status == 0, err
        assert out.splitlines()[-1].startswith("Logged in.")
