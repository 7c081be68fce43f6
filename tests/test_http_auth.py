"""Access control of the HTTP server: credentials (Basic, bearer token, `*_FILE`), the
routes open without them, cross-site requests refused, DNS rebinding refused, and the
refusal to start exposed without credentials."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests import secrets_guard
from tests.bridge_env import AnyBroker, bridge_settings, simulator, spawn_bridge, wait_exit
from tests.http_support import FIRST_CAMERA, HttpBridge, http_bridge
from tests.test_cli import run_cli

USER, PASSWORD, TOKEN = "viewer", "http-pw-5e3a91c7d2", "http-token-b8f04d6a1e"


def basic(user: str, password: str, **more: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}", **more}


@pytest.fixture
async def guarded(broker: AnyBroker, base_topic: str, tmp_path: Path) -> HttpBridge:  # type: ignore[misc]
    secrets_guard.remember(PASSWORD, TOKEN)
    async with http_bridge(
        broker,
        base_topic,
        tmp_path,
        http_username=USER,
        http_password=SecretStr(PASSWORD),
        http_token=SecretStr(TOKEN),
    ) as bridge:
        yield bridge


async def status(bridge: HttpBridge, method: str, path: str, **kw: object) -> int:
    async with bridge.client.request(method, bridge.url + path, **kw) as answer:  # type: ignore[arg-type]
        await answer.read()
        return answer.status


async def test_everything_but_health_and_metrics_needs_credentials(guarded: HttpBridge) -> None:
    (guarded.media / "a.jpg").write_bytes(b"\xff\xd8 not much of a jpeg")
    protected = [
        ("GET", "/"),
        ("GET", "/media/a.jpg"),
        ("POST", "/api/health"),
        ("GET", "/ui/status.json"),
        ("POST", "/ui/snap"),
    ]
    for method, path in protected:
        async with guarded.client.request(method, guarded.url + path) as answer:
            assert answer.status == 401, path
            assert answer.headers["WWW-Authenticate"].startswith("Basic")
        wrong = basic(USER, "not-it")
        assert await status(guarded, method, path, headers=wrong) == 401, path
        assert await status(guarded, method, path, headers={"Authorization": "Bearer x"}) == 401
        garbage = {"Authorization": "Basic !!!notbase64"}
        assert await status(guarded, method, path, headers=garbage) == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    for method, path in protected[:4]:
        assert await status(guarded, method, path, headers=basic(USER, PASSWORD)) == 200, path
        assert await status(guarded, method, path, headers=bearer) == 200, path
        assert await status(guarded, method, path, headers=basic("anyone", TOKEN)) == 200, path
    for path in ("/healthz", "/metrics"):
        assert await status(guarded, "GET", path) == 200


async def test_cross_site_requests_that_change_state_are_refused(guarded: HttpBridge) -> None:
    own = guarded.url
    form = {"camera": FIRST_CAMERA}
    refused = [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": own},
        {"Sec-Fetch-Site": "cross-site", "Origin": own},
    ]
    for extra in refused:
        headers = basic(USER, PASSWORD, **extra)
        assert await status(guarded, "POST", "/ui/snap", headers=headers, data=form) == 403
        assert await status(guarded, "POST", "/api/health", headers=headers) == 403, extra
    cross = basic(USER, PASSWORD, **{"Sec-Fetch-Site": "cross-site"})
    assert await status(guarded, "GET", "/ui/status.json", headers=cross) == 403
    assert await status(guarded, "GET", "/", headers=cross) == 200  # a link to the page
    same = basic(USER, PASSWORD, Origin="null", **{"Sec-Fetch-Site": "same-origin"})
    async with guarded.client.post(
        own + "/ui/snap", headers=same, data=form, allow_redirects=False
    ) as answer:
        assert answer.status == 303
    assert (guarded.media / FIRST_CAMERA / "last_snap.jpg").is_file()


async def test_without_credentials_only_this_machines_names_are_answered(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with http_bridge(broker, base_topic, tmp_path) as web:
        port = web.url.rsplit(":", 1)[1]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
            assert await status(web, "GET", "/", headers={"Host": host}) == 200, host
        for host in (f"rebind.evil.example:{port}", "192.0.2.1"):
            assert await status(web, "GET", "/", headers={"Host": host}) == 403, host
            assert await status(web, "POST", "/api/health", headers={"Host": host}) == 403
        assert await status(web, "GET", "/healthz", headers={"Host": "x.example"}) == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "bridge.lan"])
def test_an_exposed_server_without_credentials_refuses_to_start(tmp_path: Path, host: str) -> None:
    for command in ("check-config", "run"):
        result = run_cli(command, env={"HTTP_PORT": "8080", "HTTP_HOST": host}, cwd=tmp_path)
        assert result.returncode == 1, result
        lines = [line for line in result.stderr.splitlines() if " WARNING " not in line]
        assert len(lines) == 1, result.stderr
        assert f"HTTP_HOST={host} is not a loopback address" in lines[0]


def test_credentials_from_files_and_masked(tmp_path: Path) -> None:
    secret = tmp_path / "http_password"
    secret.write_text(PASSWORD + "\n")
    env = {
        "HTTP_PORT": "8080",
        "HTTP_HOST": "0.0.0.0",
        "HTTP_USERNAME": USER,
        "HTTP_PASSWORD_FILE": str(secret),
    }
    result = run_cli("check-config", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "HTTP_PASSWORD=***" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    half = run_cli("check-config", env={"HTTP_PORT": "8080", "HTTP_USERNAME": USER}, cwd=tmp_path)
    assert half.returncode == 1
    assert "HTTP_USERNAME and HTTP_PASSWORD" in half.stderr


@pytest.mark.parametrize("folder", ["api", "UI"])
def test_a_media_dir_named_like_a_route_is_refused_with_http_on(
    tmp_path: Path, folder: str
) -> None:
    media = {"MEDIA_DIR": str(tmp_path / folder)}
    result = run_cli("check-config", env={"HTTP_PORT": "8080", **media}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"MEDIA_DIR: {tmp_path / folder} cannot be served over HTTP" in result.stderr
    assert run_cli("check-config", env=media, cwd=tmp_path).returncode == 0  # HTTP off: fine


def test_public_base_url_defaults_to_the_server(tmp_path: Path) -> None:
    result = run_cli("check-config", env={"HTTP_PORT": "8181"}, cwd=tmp_path)
    assert "PUBLIC_BASE_URL=http://127.0.0.1:8181" in result.stdout.splitlines()
    chosen = {"HTTP_PORT": "8181", "PUBLIC_BASE_URL": "https://cams.example/blink"}
    result = run_cli("check-config", env=chosen, cwd=tmp_path)
    assert "PUBLIC_BASE_URL=https://cams.example/blink" in result.stdout.splitlines()


async def test_a_port_in_use_ends_run_with_one_line_and_status_1(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with simulator() as (_, url):
            settings = bridge_settings(broker, base_topic, tmp_path, url, http_port=port)
            process = spawn_bridge(settings, tmp_path)
            assert await wait_exit(process, 60) == 1
    log = (tmp_path / "bridge.log").read_text()
    assert f"HTTP_HOST/HTTP_PORT: cannot listen on 127.0.0.1:{port}" in log
    assert "Traceback" not in log, log
