"""Request log and counters, read by tests through the control API."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

CounterName = Literal[
    "full_logins",
    "startup_refreshes",
    "startup_refresh_failures",
    "midsession_refreshes",
    "midsession_refresh_failures",
    "twofa_ok",
    "twofa_failed",
    "signin_failures",
    "signin_locked",
    "refresh_transient_failures",
]
COUNTER_NAMES: tuple[str, ...] = get_args(CounterName)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    host: str
    path: str
    query: str
    status: int
    endpoint: str
    time: float
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Counters:
    """Event counts plus requests per endpoint name."""

    events: dict[str, int]
    requests: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.events[name]

    def to_json(self) -> dict[str, Any]:
        return {**self.events, "requests": dict(self.requests)}


@dataclass(slots=True)
class Telemetry:
    log: list[RequestRecord] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    _recorded: asyncio.Event = field(default_factory=asyncio.Event)

    def count(self, name: CounterName) -> None:
        self.events[name] += 1

    def record(self, entry: RequestRecord) -> None:
        self.log.append(entry)
        self.requests[entry.endpoint] += 1
        self._recorded.set()
        self._recorded = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[RequestRecord], bool], after: int
    ) -> tuple[int, RequestRecord]:
        """The first entry from index `after` on that satisfies `predicate`, and its index
        (waits for it to be logged)."""
        while True:
            for index in range(after, len(self.log)):
                if predicate(self.log[index]):
                    return index, self.log[index]
            after = len(self.log)
            await self._recorded.wait()

    def counters(self) -> Counters:
        return Counters(
            events={name: self.events[name] for name in COUNTER_NAMES},
            requests=dict(self.requests),
        )

    def reset(self) -> None:
        self.log.clear()
        self.events.clear()
        self.requests.clear()
