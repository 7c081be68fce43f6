"""Prometheus metrics of one bridge (the only module that imports prometheus_client).

Each Service has its own CollectorRegistry: two bridges in one process (tests) never mix
their figures, and nothing of the library's global registry is exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from blink_mqtt.replies import ClipSavedEvent, HealthReply
from blink_mqtt.state import AUTH_STATES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_ENDPOINTS = 200
"""Distinct Blink endpoint labels kept; further ones are counted as `other`."""
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_ID = re.compile(r"^(?=.*\d)[0-9A-Za-z_\-.~%:]{5,}$|^\d+$")
"""A path segment that names one thing (account, network, camera ids, media file names)."""


def endpoint(path: str) -> str:
    """A Blink URL path with its ids replaced: /api/v1/accounts/{id}/networks/{id}/..."""
    parts = [("{id}" if _ID.match(part) else part) for part in path.split("/")]
    return "/".join(parts)[:120]


class Metrics:
    """Counters and histograms fed by the bridge; gauges read from `health` at scrape."""

    def __init__(self, health: Callable[[], HealthReply]) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._blink = Counter(
            "blink_mqtt_blink_requests",
            "HTTP requests to Blink by endpoint (ids replaced by {id}), method and status "
            "(`error` when no answer came)",
            ["endpoint", "method", "status"],
            registry=r,
        )
        self._latency = Histogram(
            "blink_mqtt_request_duration_seconds",
            "Time to answer a request, by command and door (mqtt or http)",
            ["command", "door"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._answers = Counter(
            "blink_mqtt_requests",
            "Requests answered, by command, door and response code",
            ["command", "door", "code"],
            registry=r,
        )
        self._polls = Counter(
            "blink_mqtt_polls", "Polls of Blink, by result (ok or failed)", ["result"], registry=r
        )
        self._clips = Counter(
            "blink_mqtt_clips_downloaded", "Clips saved to the archive", registry=r
        )
        self._bytes = Counter(
            "blink_mqtt_downloaded_bytes", "Bytes of the clips saved to the archive", registry=r
        )
        self._endpoints: set[str] = set()
        r.register(_Live(health))

    def blink_request(self, method: str, path: str, status: int | None) -> None:
        name = endpoint(path)
        if name not in self._endpoints:
            if len(self._endpoints) >= MAX_ENDPOINTS:
                name = "other"
            else:
                self._endpoints.add(name)
        shown = "error" if status is None else str(status)
        self._blink.labels(name, method.upper(), shown).inc()

    def request_done(self, command: str, door: str, code: str, seconds: float) -> None:
        """`command` must be a known one (or `unknown`): labels stay few."""
        self._latency.labels(command, door).observe(seconds)
        self._answers.labels(command, door, code).inc()

    def poll_done(self, ok: bool) -> None:
        self._polls.labels("ok" if ok else "failed").inc()

    def clip_saved(self, event: ClipSavedEvent) -> None:
        self._clips.inc()
        self._bytes.inc(max(event.bytes, 0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Live(Collector):
    """Gauges read from the bridge's `health` at each scrape."""

    def __init__(self, health: Callable[[], HealthReply]) -> None:
        self._health = health

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        health = self._health()
        auth = GaugeMetricFamily(
            "blink_mqtt_auth_state", "1 for the current Blink auth state", labels=["state"]
        )
        for state in sorted({*AUTH_STATES, health.auth}):  # every series, 0 or 1
            auth.add_metric([state], 1.0 if state == health.auth else 0.0)
        yield auth
        yield GaugeMetricFamily(
            "blink_mqtt_mqtt_connected",
            "1 while connected to the MQTT broker",
            value=1.0 if health.mqtt == "connected" else 0.0,
        )
        yield GaugeMetricFamily(
            "blink_mqtt_requests_in_flight",
            "Requests taken and not yet answered (MQTT and HTTP); beyond the limit: busy",
            value=float(health.requests_in_flight),
        )
        yield GaugeMetricFamily(
            "blink_mqtt_uptime_seconds", "Seconds since the bridge started", value=health.uptime_s
        )
        if health.last_refresh is not None:
            yield GaugeMetricFamily(
                "blink_mqtt_last_refresh_timestamp_seconds",
                "Unix time of the last successful poll of Blink",
                value=health.last_refresh.timestamp(),
            )
        expiry = token_expiry(health)
        if expiry is not None:
            yield GaugeMetricFamily(
                "blink_mqtt_token_expiry_timestamp_seconds",
                "Unix time at which Blink's access token expires (refreshed before)",
                value=expiry,
            )


def token_expiry(health: HealthReply) -> float | None:
    """The access token's expiry when `health` reports one. The field is read by name
    because it is added to HealthReply by the account's token work (issue 10); until then
    this gauge is simply absent."""
    for name in ("token_expires_at", "token_expiry", "token_expires"):
        value = getattr(health, name, None)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None
