"""Identical requests in flight share one run: 50 `snap` of one camera are one Blink
snapshot, and each of the 50 requesters still gets its own answer.

The first request of a key runs the work; a request with the same key that arrives
while it runs waits for that run's outcome (its value or its error) instead of starting
another. A key is only shared while its run is in progress: a request that arrives after
it has ended runs anew. Only work whose outcome is the right answer for every request
that arrives while it runs may be shared (dispatch.py says which commands).

This is not replay.py: replay answers a *copy of one request* the broker delivered again
(same client, same correlation) with its first answer; coalescing serves *different
requests* that ask the same thing. A copy is recognised by replay before it gets here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from blink_mqtt.errors import shutting_down

T = TypeVar("T")


class Coalescer:
    """Runs in progress, by key."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}
        self.shared = 0
        """Requests answered from another request's run (for tests and the bench)."""

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        """`work()`'s outcome, or the outcome of the run of `key` in progress."""
        running = self._running.get(key)
        if running is not None:
            self.shared += 1
            # shield: a waiter that is cancelled must not cancel the run others wait for
            result: T = await asyncio.shield(running)
            return result
        outcome: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running[key] = outcome
        try:
            value = await work()
        except asyncio.CancelledError:
            outcome.set_exception(shutting_down())
            raise
        except BaseException as err:
            outcome.set_exception(err)
            raise
        else:
            outcome.set_result(value)
            return value
        finally:
            del self._running[key]
            if outcome.done() and not outcome.cancelled():
                outcome.exception()  # retrieved: no "never retrieved" warning without waiters
