"""The relay's two edges with outside parties: a live-view client that stops reading
is dropped without the bridge buffering more than its bound, and whatever an immis
server sends ends in a clean StreamEnded, never a crash or a hang."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blink_mqtt.account.liveview import Upstream
from blink_mqtt.account.liveview_relay import StreamEnded, relay
from blink_mqtt.liveview import fanout
from blink_mqtt.liveview.fanout import Fanout

pytestmark = pytest.mark.timeout(240)
CHUNK = bytes([0x47]) + bytes(188 * 1000 - 1)


async def test_a_client_that_stops_reading_is_dropped_and_the_others_carry_on() -> None:
    both, left = asyncio.Event(), asyncio.Event()

    def changed(count: int) -> None:
        if count == 2:
            both.set()
        elif count == 1 and both.is_set():
            left.set()

    hub = Fanout("test", changed)
    host, port = await hub.start("127.0.0.1")
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect((host, port))
    stalled.setblocking(False)
    reader, writer = await asyncio.open_connection(host, port)
    async with asyncio.timeout(10):
        await both.wait()
    fed = received = 0
    async with asyncio.timeout(120):
        while not left.is_set():
            hub.feed(CHUNK)
            fed += len(CHUNK)
            assert all(c.queued <= fanout.CLIENT_BUFFER for c in hub._clients)
            while received < fed:
                received += len(await reader.read(1 << 20))
    assert hub.dropped == 1
    assert hub.count == 1
    hub.feed(CHUNK)
    async with asyncio.timeout(20):
        while received < fed + len(CHUNK):
            received += len(await reader.read(1 << 20))
    writer.close()
    stalled.close()
    await hub.close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _packet(msgtype: int, payload: bytes) -> bytes:
    return bytes([msgtype]) + (7).to_bytes(4, "big") + len(payload).to_bytes(4, "big") + payload


packets = st.lists(
    st.one_of(
        st.builds(_packet, st.sampled_from([0, 1, 0x0A, 0x12, 0xFF]), st.binary(max_size=600)),
        st.binary(max_size=40),  # garbage, partial headers, lying lengths
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(script=packets, piece=st.integers(min_value=1, max_value=64), close=st.booleans())
def test_any_immis_stream_ends_cleanly(
    tls_files: tuple[Path, Path], script: list[bytes], piece: int, close: bool
) -> None:
    async def run() -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls_files)
        heard = bytearray()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            heard.extend(await reader.readexactly(5))
            data = b"".join(script)
            for at in range(0, len(data), piece):
                writer.write(data[at : at + piece])
                await writer.drain()
            if close:
                writer.close()
            else:
                writer.transport.abort()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        up = Upstream("127.0.0.1", port, b"hello", 1, 1, 15.0)
        delivered: list[bytes] = []
        with pytest.raises(StreamEnded) as ended:
            async with asyncio.timeout(30):
                await relay(up, delivered.append)
        assert ended.value.reason in ("blink_ended", "connection_lost")
        assert bytes(heard) == b"hello"
        for payload in delivered:
            assert payload[:1] == b"\x47"
        server.close()

    asyncio.run(run())
