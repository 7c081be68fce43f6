"""Point an aiohttp session, and unmodified blinkpy using it, at a simulator.

A client middleware rewrites requests for ``*immedia-semi.com`` and ``*blink.com`` (the
hosts of `blinkpy/helpers/constants.py`) to the simulator's base URL. aiohttp computes
the ``Host`` header and the cookie URL from the original URL, so the simulator still sees the
Blink host names and the OAuth session cookie round-trips.
"""

from __future__ import annotations

from typing import Any

from aiohttp import (
    ClientHandlerType,
    ClientMiddlewareType,
    ClientRequest,
    ClientResponse,
    ClientSession,
)
from yarl import URL

BLINK_HOST_SUFFIXES = ("immedia-semi.com", "blink.com")


def make_router(base_url: str) -> ClientMiddlewareType:
    target = URL(base_url)

    async def route(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        if (request.url.raw_host or "").endswith(BLINK_HOST_SUFFIXES):
            request.url = URL.build(
                scheme=target.scheme,
                host=target.raw_host or "127.0.0.1",
                port=target.port,
                path=request.url.raw_path,
                query_string=request.url.raw_query_string,
                encoded=True,
            )
        return await handler(request)

    return route


def routed_session(base_url: str, **session_args: Any) -> ClientSession:
    """A ClientSession whose Blink traffic goes to the simulator at ``base_url``.

    Give the same session to ``Blink(session=...)`` and ``Auth(..., session=...)``.
    Other ClientSession arguments (e.g. ``trace_configs``) pass through.
    """
    return ClientSession(middlewares=(make_router(base_url),), **session_args)
