"""One live view's local TCP server: every client gets the raw MPEG-TS through a buffer
of at most CLIENT_BUFFER bytes; a client that falls further behind is disconnected
(logged), so a slow viewer never makes the bridge's memory grow nor holds up the others.
Whatever a client sends is read and dropped.

A client that joins a running stream starts at its last key frame: the bytes since the
last TS packet flagged as a random access point (the adaptation field's
random_access_indicator, ISO/IEC 13818-1 2.4.3.5) are kept, at most CLIENT_BUFFER of
them, and sent first, so a player shows a picture at once instead of waiting for the
next key frame. A stream that flags none is joined live."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

CLIENT_BUFFER = 4 * 1024 * 1024
"""Bytes a client may lag behind the stream before it is dropped (~ minutes of Blink's
video, whose bit rate is a few hundred kbit/s)."""


class _Client:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.queue: deque[bytes] = deque()
        self.queued = 0
        self.ready = asyncio.Event()
        self.dropped = False

    def offer(self, data: bytes) -> bool:
        """Queue `data`; False (and nothing queued) when the client is too far behind."""
        if self.queued + len(data) > CLIENT_BUFFER:
            return False
        self.queue.append(data)
        self.queued += len(data)
        self.ready.set()
        return True


class Fanout:
    """The TCP server; `on_change(count)` hears of each client that comes or goes."""

    def __init__(self, name: str, on_change: Callable[[int], None]) -> None:
        self.name = name
        self._on_change = on_change
        self._clients: set[_Client] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.bytes_in = 0
        self._since_key: list[bytes] = []
        self._since_key_bytes = 0
        self._keyed = False
        self.first_data_at: float | None = None
        self.dropped = 0

    @property
    def count(self) -> int:
        return len(self._clients)

    async def start(self, host: str) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._serve, host, 0)
        address = self._server.sockets[0].getsockname()
        return str(address[0]), int(address[1])

    def feed(self, data: bytes) -> None:
        self._keep(data)
        self.bytes_in += len(data)
        if self.first_data_at is None:
            self.first_data_at = time.monotonic()
        for client in list(self._clients):
            if not client.offer(data):
                self.dropped += 1
                log.warning(
                    "%s: a live-view client fell %d bytes behind; disconnecting it",
                    self.name,
                    CLIENT_BUFFER,
                )
                self._drop(client)

    def _keep(self, data: bytes) -> None:
        """Remember the stream since its last key frame (bounded)."""
        if random_access(data):
            self._since_key, self._since_key_bytes, self._keyed = [], 0, True
        if not self._keyed:
            return
        if self._since_key_bytes + len(data) > CLIENT_BUFFER:
            self._since_key, self._since_key_bytes, self._keyed = [], 0, False
            return
        self._since_key.append(data)
        self._since_key_bytes += len(data)

    def _drop(self, client: _Client) -> None:
        client.dropped = True
        client.queue.clear()
        client.queued = 0
        client.writer.transport.abort()
        client.ready.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for client in list(self._clients):
            client.ready.set()
            client.writer.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        client = _Client(writer)
        for data in self._since_key:
            client.offer(data)
        self._clients.add(client)
        self._on_change(self.count)
        drain = asyncio.create_task(_discard(reader))
        try:
            await _write(client, drain)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            drain.cancel()
            self._clients.discard(client)
            self._tasks.discard(task)
            writer.close()
            self._on_change(self.count)


async def _discard(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(OSError):
        while await reader.read(4096):
            pass


async def _write(client: _Client, drain: asyncio.Task[None]) -> None:
    """Copy the client's queue to it until it leaves, is dropped or the stream ends."""
    while not client.dropped and not client.writer.is_closing():
        if not client.queue:
            client.ready.clear()
            waiter = asyncio.create_task(client.ready.wait())
            done, _ = await asyncio.wait({waiter, drain}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if drain in done:
                return
            continue
        data = client.queue.popleft()
        client.queued -= len(data)
        client.writer.write(data)
        await client.writer.drain()


def random_access(data: bytes) -> bool:
    """Whether a TS packet of `data` (188-byte packets from its start) is flagged as a
    random access point."""
    for at in range(0, len(data) - 5, 188):
        if data[at] != 0x47:
            return False
        if data[at + 3] & 0x20 and data[at + 4] and data[at + 5] & 0x40:
            return True
    return False
