"""Generated garbage at the running bridge, through a real broker, as a real process.

Hypothesis builds batches of requests (every command, unknown ones, the per-device
command topics, and payloads that are random bytes, odd unicode, malformed, deep, huge
or wrongly typed JSON, with and without an `id`); each is published with a Response
Topic and Correlation Data of its own. Every request must get exactly one answer, in
strict JSON, shaped as the envelope, echoing the request's id when it had one of an
accepted type; the process must live.

`BLINK_MQTT_FUZZ_EXAMPLES` sets the number of batches (default 25 in the suite); the
figures of a run are printed (`pytest -s`) and written to `BLINK_MQTT_FUZZ_REPORT` when
that is set.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blink_mqtt.dispatch import COMMANDS
from blink_mqtt.errors import ERROR_CODES
from blink_mqtt.messages import MAX_PAYLOAD
from tests.bridge_env import AnyBroker, BridgeEnv
from tests.probe import Received
from tests.test_bridge_process import bridge_process

EXAMPLES = int(os.environ.get("BLINK_MQTT_FUZZ_EXAMPLES", "25"))
ANSWER_TIMEOUT = 90.0

FIELDS = ["id", "camera", "since", "sort", "sync_module", "armed", "enabled", "code"]
NAMES = ["Front Door", "front_door", "GARAGE", "Kitchen", "all", "Home", "Nope", ""]
TIMES = ["2000-01-01", "2026-11-30T10:00:00+01:00", "0001-01-01", "9999-12-31T23:59:59Z", "x"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(NAMES + TIMES),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
ids = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def json_objects(draw: st.DrawFn) -> bytes:
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4))
    rid = draw(ids)
    if rid is not None:
        fields["id"] = rid
    text = json.dumps(fields, ensure_ascii=draw(st.booleans()))
    return draw(st.sampled_from(["", " ", "\ufeff"])).encode() + text.encode()


def spliced(template: str) -> st.SearchStrategy[bytes]:
    """JSON text with a raw token put in: lone surrogates, NaN, huge numbers, ..."""
    tokens = ['"\\ud800"', '"\\udfff x"', "NaN", "-Infinity", "1e400", "9" * 5000, '"\\u0000"']
    return st.sampled_from(tokens).map(lambda token: template.replace("TOKEN", token).encode())


payloads = st.one_of(
    json_objects(),
    st.binary(max_size=120),
    st.text(max_size=60).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from(NAMES + TIMES).map(str.encode),
    spliced('{"id": TOKEN, "camera": "Front Door"}'),
    spliced('{"id": 1, "camera": TOKEN}'),
    spliced("TOKEN"),
    st.sampled_from([5, 31, 33, 100, 20_000]).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from([5, 40, 20_000]).map(lambda n: b'{"id": 7, "x": ' + b"[" * n + b"]" * n + b"}"),
    st.integers(min_value=MAX_PAYLOAD - 2, max_value=MAX_PAYLOAD + 2).map(
        lambda n: b'{"id": "big", "camera": "' + b"x" * (n - 28) + b'"}'
    ),
)
commands = st.one_of(
    st.sampled_from(sorted(COMMANDS)),
    # the broker itself refuses (and disconnects) a topic with wildcards, control
    # characters or non-characters: such a request never reaches the bridge
    st.text(
        alphabet=st.characters(blacklist_characters="/+#", blacklist_categories=("Cs", "Cc", "Cn")),
        max_size=12,
    ),
)
DEVICE_TOPICS = [  # (kind, slug, name) of per-device command topics, and their command
    (("camera", "front_door", "motion_detection"), "motion-detection"),
    (("camera", "garage", "snap"), "snap"),
    (("camera", "backyard", "record"), "record"),
    (("camera", "nope", "snap"), "snap"),
    (("sync", "home", "armed"), "arm"),
    (("sync", "nope", "armed"), "arm"),
]
Target = tuple[str, str]
"""(topic suffix under the base topic, or '' for a request topic; the command answered)"""
targets: st.SearchStrategy[Target] = st.one_of(
    commands.map(lambda command: ("", command)),
    st.sampled_from(DEVICE_TOPICS).map(lambda item: ("/".join((*item[0], "set")), item[1])),
)
batches = st.lists(st.tuples(targets, payloads), min_size=1, max_size=12)


def expected_id(payload: bytes) -> Any:
    """The id an answer must echo: from a JSON object, a string or a finite non-bool number."""
    if len(payload) > MAX_PAYLOAD:
        return None
    try:
        value = json.loads(payload.decode("utf-8-sig"), parse_constant=_refuse)
    except (ValueError, RecursionError):
        return None
    rid = value.get("id") if isinstance(value, dict) else None
    if isinstance(rid, bool) or not isinstance(rid, str | int | float):
        return None
    if isinstance(rid, float) and not math.isfinite(rid):
        return None
    if isinstance(rid, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in rid):
        return None
    return rid


def _refuse(name: str) -> Any:
    raise ValueError(name)


def strict_json(payload: bytes) -> Any:
    return json.loads(payload.decode("utf-8"), parse_constant=_refuse)


class Figures(Counter[str]):
    def line(self) -> str:
        keys = ("sent", "answered_once", "answered_twice", "unanswered", "not_json", "exits")
        return ", ".join(f"{key}={self[key]}" for key in keys)


def fuzz_topics(env: BridgeEnv) -> str:
    """Where the answers go (one Response Topic per request under it)."""
    return f"{env.topics.base}-fuzz"


async def send_batch(env: BridgeEnv, batch: list[tuple[Target, bytes]], figures: Figures) -> None:
    mark, sent = env.probe.mark(), []
    for (device_topic, command), payload in batch:
        reply, correlation = f"{fuzz_topics(env)}/{uuid.uuid4().hex}", uuid.uuid4().bytes
        topic = f"{env.topics.base}/{device_topic}" if device_topic else env.topics.request(command)
        await env.probe.publish(topic, payload, response_topic=reply, correlation=correlation)
        # a per-device topic's plain payload becomes a request of its own: no id to echo
        sent.append((command, b"" if device_topic else payload, reply, correlation))
    figures["sent"] += len(sent)
    for command, payload, reply, correlation in sent:
        try:
            answer = await env.probe.wait_for(reply, after=mark, timeout=ANSWER_TIMEOUT)
        except TimeoutError:
            figures["unanswered"] += 1
            raise AssertionError(f"no answer to {command!r} {payload[:80]!r}") from None
        check_answer(answer, command, payload, correlation, figures)
    await env.barrier()
    answers = Counter(m.topic for m in env.probe.received[mark:])
    for _, payload, reply, _ in sent:
        count = answers[reply]
        figures["answered_once" if count == 1 else "answered_twice"] += 1
        assert count == 1, f"{count} answers to {payload[:80]!r}"


def check_answer(
    answer: Received, command: str, payload: bytes, correlation: bytes, figures: Figures
) -> None:
    assert answer.correlation == correlation
    try:
        body = strict_json(answer.payload)
    except ValueError:
        figures["not_json"] += 1
        raise
    assert body["command"] == command, body
    assert body.get("id") == expected_id(payload), (payload[:120], body)
    if body["status"] == "ok":
        assert "data" in body, body
    else:
        assert body["status"] == "error", body
        assert body["error"]["code"] in ERROR_CODES, body
        assert isinstance(body["error"]["message"], str), body
        assert body["error"]["message"], body


async def test_generated_requests_get_one_strict_answer_each_and_the_process_lives(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    figures = Figures()
    async with bridge_process(broker, base_topic, tmp_path) as (env, process):
        loop = asyncio.get_running_loop()
        await env.probe.subscribe(f"{fuzz_topics(env)}/#")

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(batch=batches)
        def run_batch(batch: list[tuple[Target, bytes]]) -> None:
            future = asyncio.run_coroutine_threadsafe(send_batch(env, batch, figures), loop)
            future.result(timeout=ANSWER_TIMEOUT * 2)
            if process.poll() is not None:
                figures["exits"] += 1
                raise AssertionError(f"the bridge exited with status {process.returncode}")

        await asyncio.to_thread(run_batch)
        response = await env.exchange("health")
        assert response["data"]["mqtt"] == "connected"
        assert process.poll() is None
    print(f"\nfuzz: {figures.line()}")
    if report := os.environ.get("BLINK_MQTT_FUZZ_REPORT"):
        Path(report).write_text(json.dumps(dict(figures)) + "\n")
    assert figures["sent"] > 0
    assert figures["answered_once"] == figures["sent"]


@pytest.mark.parametrize("payload", [b'{"id": 1e400}', b'{"id": 3, "x": -1e999}'])
def test_the_oracle_agrees_on_numbers_out_of_range(payload: bytes) -> None:
    assert expected_id(payload) == (3 if b"3" in payload else None)
