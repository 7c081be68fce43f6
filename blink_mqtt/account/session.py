"""The one aiohttp session blinkpy uses: to the cloud, or routed to a simulator."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from blink_mqtt.account.answers import OAuthAnswer, answer_of, failure_of

TOKEN_PATH = "/oauth/token"  # noqa: S105  (a URL path, not a secret)
OAUTH_PATHS = "/oauth/"
"""Blink's sign-in host serves every path under this (sign-in steps, tokens) and no other."""


@dataclass
class RequestCounter:
    """Counts every HTTP request made to Blink (reported by `health`), and apart the token
    requests (logins and refreshes), whose answers must not be lost."""

    count: int = 0
    token_requests: int = 0
    observers: list[Callable[[str, str, int | None], None]] = field(default_factory=list)
    """Told (method, URL path, status or None when no answer came) of every request that
    ended: the metrics."""
    last_oauth: OAuthAnswer | None = None
    """The last answer (or failure) of Blink's sign-in host: blinkpy's sign-in steps and
    token requests report only success or failure; the status tells why."""

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._on_start)
        config.on_request_end.append(self._on_end)
        config.on_request_exception.append(self._on_exception)
        return config

    def _tell(self, method: str, url: object, status: int | None) -> None:
        path = getattr(url, "path", "")
        for observer in self.observers:
            observer(method, path, status)

    async def _on_start(
        self,
        session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        self.count += 1
        if params.url.path == TOKEN_PATH:
            self.token_requests += 1

    async def _on_end(
        self,
        session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if params.url.path.startswith(OAUTH_PATHS):
            self.last_oauth = answer_of(params.url.path, params.response)
        self._tell(params.method, params.url, params.response.status)

    async def _on_exception(
        self,
        session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        if params.url.path.startswith(OAUTH_PATHS):
            self.last_oauth = failure_of(params.url.path, params.exception)
        self._tell(params.method, params.url, None)


def open_session(simulator_url: str | None, counter: RequestCounter) -> aiohttp.ClientSession:
    """A session to the real cloud, or one whose requests all go to `simulator_url`."""
    traces = [counter.trace_config()]
    if simulator_url:
        from blink_mqtt.simulator import routed_session

        return routed_session(simulator_url, trace_configs=traces)
    return aiohttp.ClientSession(trace_configs=traces)
