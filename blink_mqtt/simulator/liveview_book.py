"""Live-view sessions of the simulator and their realism switches (no I/O).

A live-view request issues a pollable command (kind ``lv_relay``) and a session with a
connection id; the ``immis://`` server (``liveview_server``) streams to the client that
presents that id, until the session ends. Sources for the shapes: the request's answer in
hunsalz/BlinkMonitorProtocol ``v5/accounts/liveview.md``; the command polling and the
wire format in blinkpy 0.25.9 ``blinkpy/livestream.py`` (after
amattu2/blink-liveview-middleware).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from blink_mqtt.simulator.commands import Command


@dataclass(slots=True)
class LiveViewSwitches:
    """Realism switches (``Simulator.set_liveview``; SCENARIO.md "Live view")."""

    max_seconds: float = 300.0
    """Blink ends every session after this long (the stream closes, the command is done)."""
    drop_after_seconds: float | None = None
    """The connection is cut (no TLS close) this long into a session."""
    fragment_bytes: int | None = None
    """Each packet is written in pieces of this many bytes, with pauses between."""
    pad_kbps: int = 0
    """Null MPEG-TS packets (PID 0x1FFF) added to bring the stream to this bit rate, for
    measuring the relay at a camera's real rate (the sample is a few kB/s; 0: off)."""
    polling_interval: int = 15
    """The ``polling_interval`` of the answer (Blink's: 15)."""
    save_clip: bool = False
    """A session that ends leaves a cloud clip with ``source: liveview``, as Blink does
    for saved live views (a Mini then "shows motion", home-assistant/core#120383)."""


@dataclass(slots=True)
class LiveSession:
    conn_id: str
    camera_id: int
    serial: str
    command: Command
    created: float
    connections: int = 0
    keepalives: int = 0
    latency_reports: int = 0
    bytes_sent: int = 0
    ended: str | None = None
    """Why the session ended: ``max_seconds``, ``dropped``, ``done`` (the client said
    so), ``client_closed``, ``bad_auth``; None while it runs."""

    def end(self, reason: str, *, command_done: bool = True) -> bool:
        """End the session (the first reason counts); True when it was running. A dropped
        connection leaves the command running until the client says it is done."""
        if command_done:
            self.command.pending_polls = 0
            self.command.state_condition = "done"
        if self.ended is not None:
            return False
        self.ended = reason
        return True

    def summary(self) -> dict[str, Any]:
        return {
            "conn_id": self.conn_id,
            "camera_id": self.camera_id,
            "command_id": self.command.id,
            "connections": self.connections,
            "keepalives": self.keepalives,
            "latency_reports": self.latency_reports,
            "bytes_sent": self.bytes_sent,
            "ended": self.ended,
        }


@dataclass(slots=True)
class LiveViewBook:
    switches: LiveViewSwitches = field(default_factory=LiveViewSwitches)
    sessions: dict[str, LiveSession] = field(default_factory=dict)
    address: tuple[str, int] | None = None
    """Where the ``immis://`` server listens, once started."""

    def open(self, camera_id: int, serial: str, command: Command) -> LiveSession:
        conn_id = secrets.token_hex(8)
        command.state_condition = "new"
        session = LiveSession(conn_id, camera_id, serial, command, time.monotonic())
        self.sessions[conn_id] = session
        return session

    def by_command(self, command_id: int) -> LiveSession | None:
        return next((s for s in self.sessions.values() if s.command.id == command_id), None)
