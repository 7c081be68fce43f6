"""Requests in: admission (a bounded queue, `busy` beyond it or at shutdown), at-most-once
replay of a repeated delivery, identical requests sharing one run, and exactly one answer
each, over MQTT or through another door (HTTP)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from blink_mqtt import dispatch, replay
from blink_mqtt.bridge import Inbound, Outbound
from blink_mqtt.coalesce import Coalescer
from blink_mqtt.context import Context
from blink_mqtt.errors import Busy, InvalidRequest, shutting_down
from blink_mqtt.http.metrics import Metrics
from blink_mqtt.messages import RawRequest
from blink_mqtt.settings import Settings
from blink_mqtt.topics import Topics

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], None]


class Intake:
    """Takes requests and sees each answered exactly once."""

    def __init__(
        self,
        settings: Settings,
        topics: Topics,
        publish: Callable[[Outbound], None],
        *,
        spawn: Spawn,
        context: Callable[[str], Context],
        metrics: Metrics,
        running: Callable[[], bool],
    ) -> None:
        """`spawn` runs work in the service's TaskGroup; requests are taken only while
        `running()` (`busy` otherwise: the bridge is shutting down)."""
        self._limit = settings.request_queue
        self.topics = topics
        self._publish = publish
        self._spawn = spawn
        self._context = context
        self._metrics = metrics
        self._running = running
        self.in_flight = 0
        """Requests taken (running or waiting their turn); at most REQUEST_QUEUE."""
        self._shared = Coalescer()
        self._recent: replay.RecentRequests[Inbound] = replay.RecentRequests()
        self._unstarted: dict[int, Callable[[], None]] = {}
        """Taken requests whose task has not started yet, each with its `busy` answer: a
        task the TaskGroup cancels before its first step never runs its own handler."""
        self._taken = 0

    def take(self, message: Inbound, command: str, raw: RawRequest) -> None:
        """An MQTT request: answered once, on its Response Topic or `<base>/response/<command>`."""
        problem = self.topics.reply_topic_problem(message.response_topic)
        if problem is not None:  # answered where a request without one is answered
            message = replace(message, response_topic=None)
            self._respond(message, command, dispatch.refuse(command, raw, InvalidRequest(problem)))
            return
        request = replay.key(
            command,
            message.payload,
            message.response_topic,
            message.correlation,
            raw.id is not None,
        )
        if request is not None and self._repeated(request, message, command):
            return
        refusal = self._refusal()
        if refusal is not None:
            self._answer(message, command, request, dispatch.refuse(command, raw, refusal))
            return
        self.in_flight += 1  # counted on arrival: a burst can't overshoot the queue
        ticket = self._note_unstarted(
            lambda: self._answer(
                message, command, request, dispatch.refuse(command, raw, shutting_down())
            )
        )
        self._spawn(self._handle(ticket, message, command, raw, request))

    def _refusal(self) -> Busy | None:
        if not self._running():
            return shutting_down()
        if self.in_flight >= self._limit:
            limit = self._limit
            return Busy(f"{limit} requests are already queued or running; retry later")
        return None

    async def call(self, command: str, raw: RawRequest) -> dispatch.Answer:
        """A request through another door (HTTP): run as an MQTT request is (same table,
        same limit, inside the TaskGroup, `busy` at shutdown) and return its answer."""
        refusal = self._refusal()
        if refusal is not None:
            return dispatch.refuse(command, raw, refusal)
        answered: asyncio.Future[dispatch.Answer] = asyncio.get_running_loop().create_future()
        self.in_flight += 1  # released by _execute (or below, if it never runs)

        def refuse_unstarted() -> None:
            if not answered.done():
                answered.set_result(dispatch.refuse(command, raw, shutting_down()))

        ticket = self._note_unstarted(refuse_unstarted)

        async def work() -> None:
            self._unstarted.pop(ticket, None)
            try:
                answer = await self._execute(command, raw, door="http")
            except asyncio.CancelledError:
                answered.set_result(dispatch.refuse(command, raw, shutting_down()))
                raise
            answered.set_result(answer)

        job = work()
        try:
            self._spawn(job)
        except RuntimeError:  # the TaskGroup is already shutting down
            job.close()
            self.in_flight -= 1
            self._unstarted.pop(ticket, None)
            return dispatch.refuse(command, raw, shutting_down())
        return await asyncio.shield(answered)

    def _repeated(self, request: replay.Key, message: Inbound, command: str) -> bool:
        """A copy of a request already run (or running): answered with the same answer."""
        earlier = self._recent.begin(request)
        if earlier is None:
            return False
        log.info("Request %s delivered again; answering it without running it again", command)
        if earlier.answer is None:
            earlier.waiting.append(message)
        else:
            self._publish(self._reply(message, command, earlier.answer))
        return True

    def _note_unstarted(self, refuse: Callable[[], None]) -> int:
        self._taken += 1
        self._unstarted[self._taken] = refuse
        return self._taken

    def refuse_unstarted(self) -> None:
        """At shutdown, once the TaskGroup has ended: answer `busy` to every request whose
        task never started (so each request still gets exactly one answer)."""
        unstarted, self._unstarted = self._unstarted, {}
        for refuse in unstarted.values():
            self.in_flight -= 1
            refuse()

    async def _handle(
        self,
        ticket: int,
        message: Inbound,
        command: str,
        raw: RawRequest,
        request: replay.Key | None,
    ) -> None:
        """One request taken by `take` (and counted there); it waits its turn at the
        account (per network, coalesced with identical ones: dispatch.py)."""
        self._unstarted.pop(ticket, None)
        try:
            answer = await self._execute(command, raw, door="mqtt")
        except asyncio.CancelledError:
            self._answer(message, command, request, dispatch.refuse(command, raw, shutting_down()))
            raise
        self._answer(message, command, request, answer)

    async def _execute(self, command: str, raw: RawRequest, door: str) -> dispatch.Answer:
        """One admitted request: counted in `_in_flight` when it was taken, released here."""
        started = time.monotonic()
        try:
            ctx = self._context(command)
            answer = await dispatch.handle(ctx, command, raw, self._shared)
        finally:
            self.in_flight -= 1
        known = command if command in dispatch.COMMANDS else "unknown"
        self._metrics.request_done(known, door, answer.code, time.monotonic() - started)
        return answer

    def _answer(
        self, message: Inbound, command: str, request: replay.Key | None, answer: dispatch.Answer
    ) -> None:
        self._respond(message, command, answer)
        if request is not None:
            for copy in self._recent.finish(request, answer.payload, answer.code):
                self._respond(copy, command, answer)

    def _respond(self, message: Inbound, command: str, answer: dispatch.Answer) -> None:
        self._publish(self._reply(message, command, answer.payload))

    def _reply(self, message: Inbound, command: str, payload: bytes) -> Outbound:
        topic = message.response_topic or self.topics.response(command)
        return Outbound(topic, payload, correlation=message.correlation)
