"""A request taken just before shutdown whose task the TaskGroup cancels before its first
step still gets exactly one answer: `busy`, published like any other answer.

Driven in process: the moment is a race in a real process (a SIGTERM between a request's
arrival and its task's first step), so here the tasks are held unstarted on purpose.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

from blink_mqtt.bridge import Inbound, Outbound
from blink_mqtt.context import Context
from blink_mqtt.http.metrics import Metrics
from blink_mqtt.intake import Intake
from blink_mqtt.messages import read
from blink_mqtt.replies import HealthReply
from blink_mqtt.settings import Settings
from blink_mqtt.topics import Topics


def no_context(command: str) -> Context:
    raise AssertionError(f"{command} must not run")


def no_health() -> HealthReply:
    raise AssertionError("not scraped")


async def test_requests_whose_task_never_started_are_answered_busy_once() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    published: list[Outbound] = []
    held: list[Coroutine[Any, Any, None]] = []
    spawned = asyncio.Event()

    def hold(coro: Coroutine[Any, Any, None]) -> None:
        """Taken, never started: as a task the TaskGroup cancels before its first step."""
        held.append(coro)
        spawned.set()

    intake = Intake(
        settings,
        Topics("blink", "homeassistant"),
        published.append,
        spawn=hold,
        context=no_context,
        metrics=Metrics(no_health),
        running=lambda: True,
    )
    for n in range(3):
        payload = json.dumps({"id": n, "camera": "Front Door"}).encode()
        message = Inbound("blink/request/snap", payload, "me/reply", f"c{n}".encode())
        intake.take(message, "snap", read(payload))
    spawned.clear()
    over_http = asyncio.create_task(intake.call("cameras", read(b"")))
    await asyncio.wait_for(spawned.wait(), 5)  # the HTTP request is taken
    assert intake.in_flight == 4
    assert not published

    intake.refuse_unstarted()
    intake.refuse_unstarted()  # a second call finds nothing left: still one answer each

    answers = [json.loads(m.payload) for m in published]
    assert [a["id"] for a in answers] == [0, 1, 2]
    assert {a["status"] for a in answers} == {"error"}
    assert {a["error"]["code"] for a in answers} == {"busy"}
    assert [m.topic for m in published] == ["me/reply"] * 3
    assert [m.correlation for m in published] == [b"c0", b"c1", b"c2"]
    http_answer = await asyncio.wait_for(over_http, 5)
    assert http_answer.code == "busy"
    assert intake.in_flight == 0
    for coro in held:
        coro.close()
