"""The immis:// connection of one live view: TLS, the auth header, keep-alives and
latency reports out, whole packets in (pure asyncio; no blinkpy).

Packets are read with ``readexactly``, so a packet that arrives in pieces is put back
together; blinkpy's ``recv`` takes a short read for the end of the stream instead
(fronzbot/blinkpy#1181, #1262, PR #1232). The wire format is blinkpy 0.25.9's
``livestream.py``: a 9-byte header (type, sequence, payload length; big-endian) and the
payload; type 0x00 carries MPEG-TS (first byte 0x47); the client sends a latency report
(0x12) every second and a keep-alive (0x0A) every ten. Blink's server certificate is not
verified, as blinkpy does not (it is served for a bare address).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable

from blink_mqtt.account.liveview import Upstream

HEADER = 9
VIDEO, KEEPALIVE = 0x00, 0x0A
TS_SYNC = 0x47
MAX_PAYLOAD = 1 << 20
"""A payload length above this is taken for a broken stream, never allocated."""
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 20.0
"""No packet at all for this long: the connection is lost."""
LATENCY_REPORT = bytes.fromhex("12000003e800000018") + bytes(24)


class StreamEnded(Exception):
    """The immis stream ended; `reason` is ``blink_ended`` (a clean close) or
    ``connection_lost``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def relay(up: Upstream, deliver: Callable[[bytes], None]) -> None:
    """Connect, authenticate and hand each MPEG-TS payload to `deliver` until the stream
    ends (StreamEnded) or the task is cancelled."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            reader, writer = await asyncio.open_connection(up.host, up.port, ssl=_context())
    except (OSError, TimeoutError, ssl.SSLError) as err:
        raise StreamEnded("connection_lost", f"cannot connect: {type(err).__name__}") from None
    try:
        writer.write(up.auth_header)
        sender = asyncio.create_task(_send(writer))
        try:
            await _receive(reader, deliver, sender)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
    finally:
        writer.close()


async def _receive(
    reader: asyncio.StreamReader, deliver: Callable[[bytes], None], sender: asyncio.Task[None]
) -> None:
    while True:
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                header = await reader.readexactly(HEADER)
                size = int.from_bytes(header[5:9], "big")
                if size > MAX_PAYLOAD:
                    raise StreamEnded("connection_lost", f"packet of {size} bytes")
                payload = await reader.readexactly(size) if size else b""
        except asyncio.IncompleteReadError as err:
            if err.partial:
                raise StreamEnded("connection_lost", "cut in the middle of a packet") from None
            if sender.done() and sender.exception() is not None:
                raise StreamEnded("connection_lost", "the connection failed") from None
            raise StreamEnded("blink_ended", "Blink closed the stream") from None
        except TimeoutError:
            raise StreamEnded("connection_lost", f"no data for {READ_TIMEOUT:.0f} s") from None
        except (OSError, ssl.SSLError) as err:
            if (
                isinstance(err, ssl.SSLError)
                and err.reason == "APPLICATION_DATA_AFTER_CLOSE_NOTIFY"
            ):
                raise StreamEnded("blink_ended", "Blink closed the stream") from None
            raise StreamEnded("connection_lost", type(err).__name__) from None
        if header[0] == VIDEO and payload[:1] == bytes([TS_SYNC]):
            deliver(payload)


async def _send(writer: asyncio.StreamWriter) -> None:
    """A latency report every second, a keep-alive every ten (as blinkpy sends them)."""
    sequence = 0
    tick = 0
    while True:
        if tick % 10 == 0:
            sequence += 1
            writer.write(bytes([KEEPALIVE]) + sequence.to_bytes(4, "big") + bytes(4))
        writer.write(LATENCY_REPORT)
        await writer.drain()
        tick += 1
        await asyncio.sleep(1)
