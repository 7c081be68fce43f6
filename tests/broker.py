"""A real mosquitto for tests: a subprocess on a free loopback port, restartable.

When no `mosquitto` binary exists but a Docker engine does, testcontainers' mosquitto is
used instead. With neither, `start_broker` fails with a message saying what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

STARTUP_TIMEOUT = 10.0


class BrokerUnavailable(RuntimeError):
    """Neither a mosquitto binary nor a Docker engine is available."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(host: str, port: int, timeout: float = STARTUP_TIMEOUT) -> None:
    """Block until something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s") from None
            time.sleep(0.02)


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )


class Broker:
    """mosquitto with persistence on, so sessions and queued QoS 1 messages survive restarts."""

    host = "127.0.0.1"

    def __init__(
        self,
        workdir: Path,
        extra_config: str = "",
        *,
        listener_config: str = "",
        anonymous: bool = True,
    ) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise BrokerUnavailable("no mosquitto binary")
        self.binary = binary
        self.workdir = workdir
        self.extra_config = extra_config
        self.listener_config = listener_config
        self.anonymous = anonymous
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "mosquitto.log"

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def _write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} {self.host}\n"
            + self.listener_config
            + f"allow_anonymous {'true' if self.anonymous else 'false'}\n"
            # As root, mosquitto would drop to user `mosquitto`, who cannot write workdir.
            + ("user root\n" if os.geteuid() == 0 else "")
            + "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "max_queued_messages 10000\n"
            "set_tcp_nodelay true\n"  # no ~40 ms Nagle / delayed-ACK stalls per message
            f"log_dest file {self.log_path}\n"
            "log_type error\nlog_type warning\nlog_type notice\n" + self.extra_config
        )
        return config

    def start(self) -> None:
        config = self._write_config()
        self.process = subprocess.Popen(
            [self.binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_listening(self.host, self.port)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        """Graceful stop: mosquitto saves its persistence file."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class ContainerBroker:
    """The testcontainers fallback; same surface as Broker."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        from testcontainers.mqtt import MosquittoContainer

        self.container = MosquittoContainer()
        self.port = 0

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        self.container.start()
        self.port = int(self.container.get_exposed_port(1883))
        wait_listening(self.host, self.port)

    def stop(self) -> None:
        self.container.stop()

    def restart(self) -> None:
        self.container.get_wrapped_container().restart()
        wait_listening(self.host, self.port)


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return (
            subprocess.run(
                ["docker", "info"], capture_output=True, timeout=10, check=False
            ).returncode
            == 0
        )
    return False


def start_broker(workdir: Path, extra_config: str = "") -> Broker | ContainerBroker:
    """A running broker: the binary when present, else a container, else a clear failure."""
    broker: Broker | ContainerBroker
    if mosquitto_binary() is not None:
        broker = Broker(workdir, extra_config)
    elif docker_available() and not extra_config:
        broker = ContainerBroker()
    else:
        raise BrokerUnavailable(
            "The tests need a real MQTT broker: install mosquitto "
            "(apt-get install -y mosquitto) or run a Docker engine for testcontainers."
        )
    broker.start()
    return broker
