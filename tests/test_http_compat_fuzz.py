"""Generated garbage at BlinkPy API's endpoints of a running bridge (a real process, real
broker, the simulator): `camera_name` in every shape, free-form and broken dates, bodies
that are not JSON or not objects, odd content types. Every request gets one well-formed
answer (200 with BlinkPy API's shape, or the JSON error envelope with a 4xx status),
never a 500, and the process lives with no traceback in its log.

`BLINK_MQTT_FUZZ_EXAMPLES` sets the number of examples (default 25 in the suite).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bridge_env import AnyBroker
from tests.compat_support import Answer, check_error, send
from tests.test_http_compat import compat_bridge

EXAMPLES = int(os.environ.get("BLINK_MQTT_FUZZ_EXAMPLES", "25"))
ANSWER_TIMEOUT = 120.0

ENDPOINTS = [
    "/snap",
    "/download-recent-clips",
    "/download-recent-clips-and-sort",
    "/download-recent-sync-clips-and-sort",
    "/download-clips-since",
    "/download-clips-since-and-sort",
    "/download-sync-clips-since-and-sort",
]
NAMES = ["Front Door", "front_door", "GARAGE", "G8T1-4002-BKYD", "all", "ALL ", "Nope", "", " "]
DATES = [
    "2026-11-30T10:00:00+01:00",
    "November 30 2026 09:43 AM",
    "2 hours ago",
    "yesterday",
    "garbage words",
    "0001-01-01",
    "9999-12-31T23:59:59Z",
    "1764500000",
    "30/11/2026 10:00",
    "10:00 EST",
    "2026-02-30",
    "99999999999999999999",
    "x" * 300,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(NAMES + DATES),
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner)
)
camera_names = st.one_of(
    st.sampled_from(NAMES),
    st.lists(st.sampled_from(NAMES), max_size=4),
    st.text(max_size=300),
    values,
)
dates = st.one_of(st.sampled_from(DATES), st.text(max_size=60), values)


@st.composite
def objects(draw: st.DrawFn) -> bytes:
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        body["camera_name"] = draw(camera_names)
    if draw(st.booleans()):
        body["since"] = draw(dates)
    if draw(st.booleans()):
        body.update(draw(st.dictionaries(st.text(max_size=8), values, max_size=2)))
    return json.dumps(body, ensure_ascii=draw(st.booleans())).encode()


bodies = st.one_of(
    objects(),
    objects(),
    st.binary(max_size=80),
    values.map(lambda value: json.dumps(value).encode()),
    st.sampled_from([b"", b"null", b"[]", b"{", b'{"camera_name": "\\ud800"}', b"NaN"]),
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/x+json"]
)
requests = st.lists(st.tuples(st.sampled_from(ENDPOINTS), content_types, bodies), max_size=4)


def check(path: str, answer: Answer) -> None:
    assert answer.status != 500, (path, answer)
    if answer.status >= 400:
        check_error(answer)
        return
    assert answer.status == 200, (path, answer)
    assert answer.content_type == "application/json", (path, answer)
    if path == "/snap":
        assert list(answer.body) == ["url"], answer
        return
    keys = set(answer.body)
    assert {"downloaded_clips", "since"} <= keys <= {"downloaded_clips", "since", "failed"}
    for paths in answer.body["downloaded_clips"].values():
        assert all(isinstance(p, str) and p.startswith("media/") for p in paths), answer


async def send_all(
    origin: str, batch: list[tuple[str, str, bytes]], statuses: Counter[int]
) -> None:
    for path, content_type, body in batch:
        answer = await send(origin, "POST", path, body=body, content_type=content_type or None)
        statuses[answer.status] += 1
        check(path, answer)


async def test_garbage_parameters_get_a_well_formed_answer_and_never_a_500(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with compat_bridge(broker, base_topic, tmp_path) as origin:
        loop = asyncio.get_running_loop()
        statuses: Counter[int] = Counter()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(batch=requests)
        def run(batch: list[tuple[str, str, bytes]]) -> None:
            future = asyncio.run_coroutine_threadsafe(send_all(origin, batch, statuses), loop)
            future.result(timeout=ANSWER_TIMEOUT * 4)

        await asyncio.to_thread(run)
        info = await send(origin, "GET", "/get-camera-info")
        assert info.status == 200, info
    print(f"\ncompat fuzz: statuses {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) > 0
