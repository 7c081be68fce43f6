"""Record BlinkPy API's own answers against the simulator (not run by the tests).

The recordings in tests/data/blinkpy_api/ are what tests/test_http_compat.py compares
the bridge's BlinkPy API endpoints with. This script makes them again: it runs BlinkPy
API's unmodified code (github.com/estes-sj/BlinkPy-API, `app/`) under gunicorn, as its
Dockerfile does, against `blink-mqtt simulator` with the default scenario (2FA off: BlinkPy
API cannot pass 2FA with blinkpy 0.25.9), sends each request below over HTTP and saves
request, status, content type, body and time taken.

BlinkPy API's blinkpy reaches the simulator without any change to blinkpy or to BlinkPy
API's files: a launcher module (written next to them) replaces the name `ClientSession`
in `app.blink_service` with `blink_mqtt.simulator.routing.routed_session` bound to the
simulator's URL (the same client middleware the bridge uses), then imports its `run.app`.

Set up once, in a scratch directory (never commit BlinkPy API's code):

    git clone https://github.com/estes-sj/BlinkPy-API /tmp/blinkpy-api/src
    python3 -m venv /tmp/blinkpy-api/venv
    /tmp/blinkpy-api/venv/bin/pip install Flask aiohttp blinkpy==0.25.9 gunicorn

Then, from the checkout's root (takes about 5 minutes: BlinkPy API waits 2 s after each
clip and 10 s per snapshot):

    PYTHONPATH=$PWD python3 -m bench.record_blinkpy_api --src /tmp/blinkpy-api/src \\
        --venv /tmp/blinkpy-api/venv --out tests/data/blinkpy_api

It copies the checkout to a temporary directory first (BlinkPy API writes
`credentials.json` and `media/` into its working directory).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bench.rig import HOST, ROOT, _stop, _wait_listening, free_port, simulator
from blink_mqtt.simulator import Scenario, default_scenario

RECORD_TZ = "America/New_York"
"""BlinkPy API's docker-compose.yaml sets TZ=America/New_York; naive times are local."""

LAUNCHER = '''\
"""Recording harness (not BlinkPy API's code): route its blinkpy to the simulator."""
import functools, importlib.util, os
_spec = importlib.util.spec_from_file_location("routing", os.environ["ROUTING_PY"])
_routing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_routing)
import app.blink_service as _service
_service.ClientSession = functools.partial(_routing.routed_session, os.environ["SIM_URL"])
from run import app  # noqa: E402,F401
'''


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    method: str
    path: str
    json_body: Any = None
    raw: bytes | None = None
    content_type: str | None = None
    keep_body: bool = True
    before: tuple[str, str] | None = None
    """A simulator control call made first (method, path)."""
    replay: dict[str, Any] | None = None
    """How a test rebuilds `since` for its own clock: hours before now, strftime format in
    RECORD_TZ (or "iso" for UTC ISO 8601)."""

    def request(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.json_body is not None:
            out["json"] = self.json_body
        if self.raw is not None:
            out["body"] = self.raw.decode()
            out["content_type"] = self.content_type
        if self.replay is not None:
            out["replay"] = self.replay
        return out


def since(now: datetime, replay: dict[str, Any], zone: str = RECORD_TZ) -> str:
    """A `since` text `replay["since_hours_ago"]` hours before `now`, in its format."""
    moment = now - timedelta(hours=replay["since_hours_ago"])
    if replay["since_format"] == "iso":
        return moment.astimezone(UTC).isoformat()
    return str(moment.astimezone(ZoneInfo(zone)).strftime(replay["since_format"]))


def cases(now: datetime) -> list[Case]:
    """The requests, in order (the order matters: the downloads see each other's files)."""
    local_form = "%B %d %Y %I:%M %p"
    three_h = {"since_hours_ago": 3, "since_format": local_form}
    day = {"since_hours_ago": 25, "since_format": "iso"}
    return [
        Case("get_camera_info", "GET", "/get-camera-info"),
        Case("get_camera_info_post", "POST", "/get-camera-info", json_body={}),
        Case("snap", "POST", "/snap", json_body={"camera_name": "Front Door"}),
        Case("snap_image", "GET", "/media/Front%20Door/last_snap.jpg", keep_body=False),
        Case("snap_missing_camera", "POST", "/snap", json_body={}),
        Case("snap_unknown_camera", "POST", "/snap", json_body={"camera_name": "Nope"}),
        Case("snap_camera_list", "POST", "/snap", json_body={"camera_name": ["Front Door"]}),
        Case(
            "snap_not_json",
            "POST",
            "/snap",
            raw=b"camera_name=Front+Door",
            content_type="application/x-www-form-urlencoded",
        ),
        Case(
            "snap_bad_json", "POST", "/snap", raw=b"{camera_name", content_type="application/json"
        ),
        Case("snap_get", "GET", "/snap"),
        Case("recent", "POST", "/download-recent-clips", json_body={}),
        Case(
            "recent_one", "POST", "/download-recent-clips", json_body={"camera_name": "Front Door"}
        ),
        Case(
            "recent_list",
            "POST",
            "/download-recent-clips",
            json_body={"camera_name": ["Backyard", "Garage"]},
        ),
        Case(
            "recent_unknown_camera",
            "POST",
            "/download-recent-clips",
            json_body={"camera_name": "Nope"},
        ),
        Case("recent_bad_camera", "POST", "/download-recent-clips", json_body={"camera_name": 5}),
        Case("recent_no_body", "POST", "/download-recent-clips"),
        Case("recent_array_body", "POST", "/download-recent-clips", json_body=["Front Door"]),
        Case("recent_get", "GET", "/download-recent-clips"),
        Case("recent_sort", "POST", "/download-recent-clips-and-sort", json_body={}),
        Case("recent_sort_again", "POST", "/download-recent-clips-and-sort", json_body={}),
        Case(
            "since_local",
            "POST",
            "/download-clips-since",
            json_body={"camera_name": "Porch", "since": since(now, three_h)},
            replay=three_h,
        ),
        Case(
            "since_iso",
            "POST",
            "/download-clips-since",
            json_body={"camera_name": "Kitchen", "since": since(now, day)},
            replay=day,
        ),
        Case("since_default", "POST", "/download-clips-since", json_body={}),
        Case(
            "since_garbage", "POST", "/download-clips-since", json_body={"since": "garbage words"}
        ),
        Case(
            "since_sort",
            "POST",
            "/download-clips-since-and-sort",
            json_body={"camera_name": "all", "since": since(now, day)},
            replay=day,
        ),
        # BlinkPy API downloads USB clips from the first of blink.sync, which is the
        # standalone Mini's pseudo sync module while it is on the account: it then polls
        # media/changed once a second for ever. Without it, the first is "Home".
        Case(
            "sync_since_sort",
            "POST",
            "/download-sync-clips-since-and-sort",
            json_body={"camera_name": "Backyard", "since": since(now, day)},
            replay=day,
            before=("DELETE", "/_sim/cameras/Kitchen"),
        ),
        Case("recent_sync_sort", "POST", "/download-recent-sync-clips-and-sort", json_body={}),
        Case("unknown_path", "GET", "/nope"),
    ]


async def record(case: Case, origin: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if case.json_body is not None:
        kwargs["json"] = case.json_body
    elif case.raw is not None:
        kwargs["data"] = case.raw
        kwargs["headers"] = {"Content-Type": str(case.content_type)}
    timeout = aiohttp.ClientTimeout(total=300)
    started = time.monotonic()
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(case.method, origin + case.path, **kwargs) as response,
        ):
            data = await response.read()
            status, ctype = response.status, response.content_type
    except (aiohttp.ClientError, TimeoutError) as err:
        status, ctype, data = None, None, f"no answer: {err!r}".encode()
    seconds = round(time.monotonic() - started, 3)
    body: Any
    if status is None:
        body = data.decode()
    elif not case.keep_body:
        body = {"bytes": len(data)}
    elif ctype == "application/json":
        body = json.loads(data)
    else:
        body = data.decode(errors="replace")
    return {
        "request": case.request(),
        "status": status,
        "content_type": ctype,
        "body": body,
        "seconds": seconds,
    }


@contextlib.contextmanager
def blinkpy_api(src: Path, venv: Path, sim_url: str) -> Iterator[tuple[str, Path]]:
    """BlinkPy API under gunicorn in a fresh copy of `src`; yields (origin, workdir)."""
    with tempfile.TemporaryDirectory(prefix="blinkpy-api-") as tmp:
        work = Path(tmp) / "app"
        shutil.copytree(src, work, ignore=shutil.ignore_patterns(".git", "media", "*.json"))
        (work / "launch_routed.py").write_text(LAUNCHER)
        account = default_scenario().account
        creds = {"username": account.email, "password": account.password}
        (work / "credentials.json").write_text(json.dumps(creds))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("USERNAME", "PASSWORD")}
        env.update(
            SIM_URL=sim_url,
            ROUTING_PY=str(ROOT / "blink_mqtt" / "simulator" / "routing.py"),
            TZ=RECORD_TZ,
            PYTHONPATH=str(work),
        )
        gunicorn = [str(venv / "bin" / "gunicorn"), "launch_routed:app"]
        options = ["-b", f"{HOST}:{port}", "--workers", "1", "--timeout", "240"]
        log = (Path(tmp) / "gunicorn.log").open("wb")
        process = subprocess.Popen(
            [*gunicorn, *options], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_listening(port, process)
            yield f"http://{HOST}:{port}", work
        finally:
            _stop(process)
            log.close()


def media_tree(work: Path) -> list[str]:
    """Every file BlinkPy API wrote under media/, relative, sorted (empty files marked)."""
    media = work / "media"
    return sorted(
        f"{p.relative_to(work)}" + (" (empty)" if p.stat().st_size == 0 else "")
        for p in media.rglob("*")
        if p.is_file()
    )


def _versions(venv: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({p: m.version(p) for p in "
        "('Flask','Werkzeug','blinkpy','aiohttp','gunicorn','python-dateutil')}))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, check=True, text=True
    )
    return dict(json.loads(out.stdout))


def _commit(src: Path) -> str | None:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, check=True, text=True
        )
        return out.stdout.strip()
    return None


async def main(src: Path, venv: Path, out: Path, commit: str | None) -> None:
    scenario = Scenario.model_validate(
        {**default_scenario().model_dump(), "two_factor": {"enabled": False}}
    )
    with tempfile.TemporaryDirectory(prefix="sim-") as tmp:
        async with simulator(scenario, Path(tmp), latency=0.0) as sim:
            with blinkpy_api(src, venv, sim.url) as (origin, work):
                now = datetime.now(UTC)
                for case in cases(now):
                    if case.before:
                        await sim.control(*case.before)
                    result = await record(case, origin)
                    path = out / f"{case.name}.json"
                    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
                    print(f"{case.name:24} {result['status']} {result['seconds']:7.3f} s")
                context = {
                    "recorded_at": now.isoformat(timespec="seconds"),
                    "origin": origin,
                    "blinkpy_api_commit": commit or _commit(src),
                    "versions": _versions(venv),
                    "tz": RECORD_TZ,
                    "timedelta_hours": 6,
                    "scenario": "default, two_factor off; Kitchen removed before sync_since_sort",
                    "media_tree": media_tree(work),
                }
                text = json.dumps(context, indent=2, ensure_ascii=False) + "\n"
                (out / "_recording.json").write_text(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, required=True, help="BlinkPy API checkout")
    parser.add_argument("--venv", type=Path, required=True, help="venv with its requirements")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "blinkpy_api")
    parser.add_argument("--commit", help="BlinkPy API commit (when --src is no git checkout)")
    args = parser.parse_args()
    if not (args.src / "app" / "blink_service.py").is_file():
        sys.exit(f"{args.src} is not a BlinkPy API checkout")
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(args.src, args.venv, args.out, args.commit))
