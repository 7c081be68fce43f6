"""The simulator's ``immis://`` server: the server side of blinkpy/livestream.py.

Wire format (blinkpy 0.25.9 ``livestream.py``, after amattu2/blink-liveview-middleware):
the client opens TLS (it does not verify the certificate), sends a 122-byte auth header
(magic ``00 00 00 28``, the camera serial, the client id, ``01 08``, a 64-byte token
field, the connection id, ``00 00 00 01``), then every second a latency-stats packet
(type 0x12) and every ten seconds a keep-alive (type 0x0A). The server sends packets of a
9-byte header (type, sequence, payload length; big-endian) and a payload; type 0x00
carries MPEG-TS. The certificate is self-signed, made at first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from blink_mqtt.simulator import liveview_ts
from blink_mqtt.simulator.liveview_book import LiveSession, LiveViewBook

_LOGGER = logging.getLogger(__name__)

AUTH_HEADER = 122
MAGIC = b"\x00\x00\x00\x28"
VIDEO, KEEPALIVE, LATENCY = 0x00, 0x0A, 0x12
HEADER = 9
AUTH_TIMEOUT = 10.0
FRAGMENT_PAUSE = 0.002
NULL_PACKET = b"\x47\x1f\xff\x10" + b"\xff" * 184


@dataclass(frozen=True, slots=True)
class AuthHeader:
    serial: str
    client_id: int
    conn_id: str


def _field(data: bytes, at: int, size: int) -> tuple[str, int]:
    length = int.from_bytes(data[at : at + 4], "big")
    if length != size:
        raise ValueError(f"field length {length}, expected {size}")
    text = data[at + 4 : at + 4 + size].rstrip(b"\x00").decode("utf-8", "replace")
    return text, at + 4 + size


def parse_auth(data: bytes) -> AuthHeader:
    """The fields of an auth header; ValueError when it is not one."""
    if len(data) != AUTH_HEADER or data[:4] != MAGIC:
        raise ValueError("not an immis auth header")
    serial, at = _field(data, 4, 16)
    client_id = int.from_bytes(data[at : at + 4], "big")
    if data[at + 4 : at + 6] != b"\x01\x08":
        raise ValueError("bad static field")
    _, at = _field(data, at + 6, 64)
    conn_id, at = _field(data, at, 16)
    if data[at:] != b"\x00\x00\x00\x01":
        raise ValueError("bad trailer")
    return AuthHeader(serial, client_id, conn_id)


def packet(msgtype: int, sequence: int, payload: bytes) -> bytes:
    return (
        bytes([msgtype]) + sequence.to_bytes(4, "big") + len(payload).to_bytes(4, "big") + payload
    )


def self_signed_context() -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (openssl CLI)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
        subprocess.run(
            [  # noqa: S607
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=immis.simulator",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        context.load_cert_chain(cert, key)
    return context


class ImmisServer:
    """Streams to each client that authenticates with a running session's id."""

    def __init__(self, book: LiveViewBook) -> None:
        self.book = book
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def ensure(self, host: str) -> tuple[str, int]:
        if self._server is None:
            context = await asyncio.to_thread(self_signed_context)
            self._server = await asyncio.start_server(self._serve, host, 0, ssl=context)
            sock = self._server.sockets[0].getsockname()
            self.book.address = (host, int(sock[1]))
            _LOGGER.info("Live-view server on %s:%d", host, sock[1])
        assert self.book.address is not None
        return self.book.address

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            session = await self._authenticate(reader)
            if session is not None:
                await self._stream(session, reader, writer)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError) as err:
            _LOGGER.info("Live-view connection ended: %s", type(err).__name__)
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _authenticate(self, reader: asyncio.StreamReader) -> LiveSession | None:
        data = await asyncio.wait_for(reader.readexactly(AUTH_HEADER), AUTH_TIMEOUT)
        try:
            auth = parse_auth(data)
        except ValueError as err:
            _LOGGER.warning("Live-view auth refused: %s", err)
            return None
        session = self.book.sessions.get(auth.conn_id)
        if session is None or session.serial != auth.serial or session.ended:
            _LOGGER.warning("Live-view auth for an unknown or ended session")
            return None
        session.connections += 1
        session.command.state_condition = "running"
        return session

    async def _stream(
        self, session: LiveSession, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        listener = asyncio.create_task(self._listen(session, reader))
        try:
            await self._send(session, writer, listener)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener

    async def _listen(self, session: LiveSession, reader: asyncio.StreamReader) -> None:
        """Count the client's keep-alives and latency reports until it closes."""
        while True:
            header = await reader.read(HEADER)
            if not header:
                return
            if len(header) < HEADER:
                header += await reader.readexactly(HEADER - len(header))
            size = int.from_bytes(header[5:9], "big")
            if size:
                await reader.readexactly(size)
            if header[0] == KEEPALIVE:
                session.keepalives += 1
            elif header[0] == LATENCY:
                session.latency_reports += 1

    async def _send(
        self, session: LiveSession, writer: asyncio.StreamWriter, listener: asyncio.Task[None]
    ) -> None:
        switches = self.book.switches
        started = time.monotonic()
        previous = 0.0
        for sequence, (due, frame) in enumerate(liveview_ts.stream()):
            chunk = frame + _padding(switches.pad_kbps, due - previous)
            previous = due
            elapsed = time.monotonic() - started
            if listener.done():
                session.end("client_closed")
            elif elapsed >= switches.max_seconds:
                session.end("max_seconds")
            elif switches.drop_after_seconds is not None and elapsed >= switches.drop_after_seconds:
                session.end("dropped", command_done=False)
                writer.transport.abort()
                return
            if session.ended:
                return
            wait = due - elapsed
            if wait > 0:
                done, _ = await asyncio.wait({listener}, timeout=wait)
                if done:
                    continue
            await self._write(writer, packet(VIDEO, sequence, chunk), switches.fragment_bytes)
            session.bytes_sent += len(chunk)

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, data: bytes, piece: int | None) -> None:
        if not piece:
            writer.write(data)
            await writer.drain()
            return
        for at in range(0, len(data), piece):
            writer.write(data[at : at + piece])
            await writer.drain()
            await asyncio.sleep(FRAGMENT_PAUSE)


def _padding(kbps: int, seconds: float) -> bytes:
    """Null packets worth `kbps` over `seconds`."""
    count = int(kbps * 125 * seconds) // len(NULL_PACKET)
    return NULL_PACKET * count
