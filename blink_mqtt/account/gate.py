"""Who may use blinkpy when: account-wide steps alone, network commands per network.

`async with gate:` is an account-wide step (login, homescreen, a poll step, listings,
token refreshes): it runs alone, after the network commands in progress have ended.
`async with gate.network(nid):` is a command on one Blink network: commands on one
network run one at a time, in the order they arrived (Blink answers a command while
another is pending on the network with 409: fronzbot/blinkpy#138,
colinbendell/homebridge-blink-for-home#14); commands on different networks run at
the same time. An account-wide step that is waiting goes before network commands that
arrive after it, so a stream of commands never starves the poll.

Cancellation never leaves the gate held: every state change happens without an await
in between its check and its update.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class Gate:
    """A readers/writer lock (writers: account-wide steps) with a FIFO lock per network."""

    def __init__(self) -> None:
        self._sharing = 0
        """Network commands running now."""
        self._alone = False
        """An account-wide step is running."""
        self._queued_alone = 0
        """Account-wide steps waiting for their turn."""
        self._waiters: list[asyncio.Future[None]] = []
        self._networks: dict[int, asyncio.Lock] = {}

    async def __aenter__(self) -> None:
        self._queued_alone += 1
        try:
            await self._until(lambda: not self._alone and self._sharing == 0)
        finally:
            self._queued_alone -= 1
            self._wake()  # a cancelled wait may have held back network commands
        self._alone = True

    async def __aexit__(self, *_: object) -> None:
        self._alone = False
        self._wake()

    @asynccontextmanager
    async def network(self, network: int) -> AsyncIterator[None]:
        """One command on `network`: its turn on the network, then a shared turn."""
        async with self._networks.setdefault(network, asyncio.Lock()):
            await self._until(lambda: not self._alone and self._queued_alone == 0)
            self._sharing += 1
            try:
                yield
            finally:
                self._sharing -= 1
                self._wake()

    async def _until(self, ready: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        while not ready():
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
