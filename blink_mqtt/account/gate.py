"""Who may use blinkpy when: account-wide steps alone, network commands per network.

`async with gate:` is an account-wide step (login, homescreen, a poll step, listings,
token refreshes): it runs alone, after the network commands in progress have ended.
`async with gate.network(nid):` is a command on one Blink network: commands on one
network run one at a time, in the order they arrived (Blink answers a command while
another is pending on the network with 409: fronzbot/blinkpy#138,
colinbendell/homebridge-blink-for-home#14); commands on different networks run at
the same time. Turns are taken in order of arrival between the two kinds: an
account-wide step that is waiting goes before network commands that arrive after it (a
stream of commands never starves the poll), and a command that is waiting goes before
account-wide steps that ask after it (a poll never holds a command for more than the
step in progress).

Cancellation never leaves the gate held: every state change happens without an await
in between its check and its update.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class Gate:
    """A readers/writer lock (writers: account-wide steps) with a FIFO lock per network,
    fair between the two: each waiter takes a ticket, and no one starts ahead of a
    waiter of the other kind that arrived earlier (a poll that asks for its next step
    the moment the previous one ends does not barge past a command already waiting)."""

    def __init__(self) -> None:
        self._sharing = 0
        """Network commands running now."""
        self._alone = False
        """An account-wide step is running."""
        self._tickets = 0
        self._waiting_alone: set[int] = set()
        """Tickets of account-wide steps waiting for their turn."""
        self._waiting_shared: set[int] = set()
        """Tickets of network commands waiting for a shared turn (their network's turn
        already theirs)."""
        self._waiters: list[asyncio.Future[None]] = []
        self._networks: dict[int, asyncio.Lock] = {}

    async def __aenter__(self) -> None:
        me = self._ticket()
        self._waiting_alone.add(me)
        try:
            await self._until(
                lambda: (
                    not self._alone
                    and self._sharing == 0
                    and not _earlier(self._waiting_shared, me)
                )
            )
        finally:
            self._waiting_alone.discard(me)
            self._wake()  # a cancelled wait may have held back network commands
        self._alone = True

    async def __aexit__(self, *_: object) -> None:
        self._alone = False
        self._wake()

    @asynccontextmanager
    async def network(self, network: int) -> AsyncIterator[None]:
        """One command on `network`: its turn on the network, then a shared turn."""
        async with self._networks.setdefault(network, asyncio.Lock()):
            me = self._ticket()
            self._waiting_shared.add(me)
            try:
                await self._until(lambda: not self._alone and not _earlier(self._waiting_alone, me))
            finally:
                self._waiting_shared.discard(me)
                self._wake()
            self._sharing += 1
            try:
                yield
            finally:
                self._sharing -= 1
                self._wake()

    def _ticket(self) -> int:
        self._tickets += 1
        return self._tickets

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


def _earlier(tickets: set[int], mine: int) -> bool:
    return bool(tickets) and min(tickets) < mine
