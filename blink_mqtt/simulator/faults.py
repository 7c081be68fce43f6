"""Injected faults: which endpoint misbehaves, how, and how often.

A fault targets an endpoint name (or ``*``), optionally only paths containing a
substring, and applies ``count`` times (``None``: until cleared). The middleware in
``pipeline.py`` applies them; the body wrappers here slow down or cut a body.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from blink_mqtt.simulator.responses import Body, BodyCut

FaultKind = Literal[
    "401",
    "404",
    "429",
    "500",
    "503",
    "invalid_json",
    "delay",
    "slow_body",
    "truncate",
    "drop",
    "cloudflare_406",
    "empty_cookies",
]
ANY_ENDPOINT = "*"
_SLOW_STEPS = 20


@dataclass(frozen=True, slots=True)
class Fault:
    id: int
    endpoint: str
    kind: FaultKind
    count: int | None = None
    path_contains: str | None = None
    seconds: float = 1.0

    def matches(self, endpoint: str, path: str) -> bool:
        if self.endpoint not in (ANY_ENDPOINT, endpoint):
            return False
        return self.path_contains is None or self.path_contains in path


@dataclass(slots=True)
class FaultBook:
    faults: list[Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(
        self,
        endpoint: str,
        kind: FaultKind,
        *,
        count: int | None = None,
        path_contains: str | None = None,
        seconds: float = 1.0,
    ) -> Fault:
        fault = Fault(next(self._ids), endpoint, kind, count, path_contains, seconds)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def take(self, endpoint: str, path: str) -> Fault | None:
        """The first fault matching this request, consuming one of its uses."""
        for index, fault in enumerate(self.faults):
            if not fault.matches(endpoint, path):
                continue
            if fault.count is None:
                return fault
            if fault.count <= 1:
                del self.faults[index]
            else:
                self.faults[index] = dataclasses.replace(fault, count=fault.count - 1)
            return fault
        return None


@dataclass(frozen=True, slots=True)
class SlowBody:
    """The inner body in about 20 slices spread over ``seconds`` (first slice at once)."""

    inner: Body
    seconds: float

    @property
    def size(self) -> int:
        return self.inner.size

    async def chunks(self) -> AsyncIterator[bytes]:
        step = max(1, -(-self.inner.size // _SLOW_STEPS))
        pause = self.seconds / _SLOW_STEPS
        emitted, pause_at = 0, step
        async for chunk in self.inner.chunks():
            rest = chunk
            while rest:
                piece, rest = rest[: pause_at - emitted], rest[pause_at - emitted :]
                yield piece
                emitted += len(piece)
                if emitted >= pause_at and emitted < self.inner.size:
                    await asyncio.sleep(pause)
                    pause_at += step


@dataclass(frozen=True, slots=True)
class TruncatedBody:
    """The first half of the inner body, then the connection is closed."""

    inner: Body

    @property
    def size(self) -> int:
        return self.inner.size

    async def chunks(self) -> AsyncIterator[bytes]:
        remaining = self.inner.size // 2
        async for chunk in self.inner.chunks():
            if remaining <= 0:
                break
            yield chunk[:remaining]
            remaining -= len(chunk)
        raise BodyCut
