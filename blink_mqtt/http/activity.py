"""Downloads running now, as the page shows them: the latest progress of each request."""

from __future__ import annotations

import time
from dataclasses import dataclass

from blink_mqtt.replies import Progress

KEEP_FINISHED = 120.0
"""Seconds a finished download stays on the page."""
MAX_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Running:
    command: str
    id: str | int | float | None
    done: int
    total: int
    camera: str
    at: float

    @property
    def finished(self) -> bool:
        return self.done >= self.total


class Activity:
    """Fed with every Progress the bridge publishes."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], Running] = {}

    def progress(self, message: Progress) -> None:
        key = (message.command, repr(message.id))
        now = time.monotonic()
        self._runs[key] = Running(
            message.command, message.id, message.done, message.total, message.camera, now
        )
        self._forget(now)

    def _forget(self, now: float) -> None:
        for key, run in list(self._runs.items()):
            if run.finished and now - run.at > KEEP_FINISHED:
                del self._runs[key]
        while len(self._runs) > MAX_SHOWN:
            del self._runs[min(self._runs, key=lambda k: self._runs[k].at)]

    def downloads(self) -> list[Running]:
        """Running first, then finished, newest first."""
        self._forget(time.monotonic())
        return sorted(self._runs.values(), key=lambda run: (run.finished, -run.at))
