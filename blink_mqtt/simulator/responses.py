"""Responses whose body is written chunk by chunk, so faults can slow or cut it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.web_request import BaseRequest

JSON_TYPE = "application/json"


class Body(Protocol):
    """A response body of known size, produced as a stream of chunks."""

    @property
    def size(self) -> int: ...

    def chunks(self) -> AsyncIterator[bytes]: ...


class BodyCut(Exception):
    """Raised by a body to close the connection mid-body (the truncate fault)."""


@dataclass(frozen=True, slots=True)
class BytesBody:
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.data:
            yield self.data


class BodyResponse(web.StreamResponse):
    """A response with an exact Content-Length whose body is streamed on ``write_eof``."""

    def __init__(
        self,
        body: Body,
        *,
        status: int = 200,
        content_type: str = JSON_TYPE,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status=status, headers=headers)
        self.content_type = content_type
        self.content_length = body.size
        self.body_source = body
        self._request: BaseRequest | None = None
        self._streamed = False

    async def prepare(self, request: BaseRequest) -> AbstractStreamWriter | None:
        self._request = request
        return await super().prepare(request)

    async def write_eof(self, data: bytes = b"") -> None:
        if not self._streamed:
            self._streamed = True
            try:
                async for chunk in self.body_source.chunks():
                    await self.write(chunk)
            except BodyCut:
                self._close_connection()
                raise ConnectionResetError("body cut by fault injection") from None
        await super().write_eof(data)

    def _close_connection(self) -> None:
        transport = self._request.transport if self._request is not None else None
        if transport is not None:
            transport.close()


class DroppedResponse(web.StreamResponse):
    """Closes the connection without sending anything (the drop fault)."""

    async def prepare(self, request: BaseRequest) -> AbstractStreamWriter | None:
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("connection dropped by fault injection")


class ApiError(Exception):
    """Raised by handlers; answered as a JSON error with ``status``."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def response(self) -> BodyResponse:
        return error_response(self.status, self.message, self.code)


class CloudflareBlock(ApiError):
    """Cloudflare's edge refusing a client: 406 with an HTML page, not JSON.

    Seen on ``api.oauth.blink.com`` since July 2026 (fronzbot/blinkpy#1266,
    home-assistant/core#176708, #173419: "406 Not Acceptable (plain-text body, Cloudflare)").
    """

    def __init__(self, reason: str) -> None:
        super().__init__(406, reason)

    def response(self) -> BodyResponse:
        return cloudflare_406()


class EmptyCookies(ApiError):
    """The OAuth host's answer to a sign-in step without its session cookie.

    Body as recorded in fronzbot/blinkpy#1147 and PR #1229.
    """

    def __init__(self) -> None:
        super().__init__(400, "Empty Cookies.")

    def response(self) -> BodyResponse:
        return empty_cookies()


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> BodyResponse:
    """JSON with ``Content-Type: application/json`` exactly (no charset parameter)."""
    raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return BodyResponse(BytesBody(raw), status=status, headers=headers)


def error_response(status: int, message: str, code: int | None = None) -> BodyResponse:
    payload: dict[str, Any] = {"message": message, "code": code if code is not None else status}
    return json_response(payload, status=status)


def html_response(html: str, status: int = 200) -> BodyResponse:
    body = BytesBody(html.encode("utf-8"))
    return BodyResponse(body, status=status, content_type="text/html")


def redirect(location: str, status: int = 302) -> BodyResponse:
    headers = {"Location": location}
    return BodyResponse(BytesBody(b""), status=status, content_type="text/plain", headers=headers)


_CLOUDFLARE_406 = (
    "<html><head><title>406 Not Acceptable</title></head><body>"
    "<center><h1>406 Not Acceptable</h1></center><hr><center>cloudflare</center>"
    "</body></html>"
)


def cloudflare_406() -> BodyResponse:
    """Cloudflare's 406: an HTML page with ``Server: cloudflare`` (blinkpy#1266)."""
    body = BytesBody(_CLOUDFLARE_406.encode("utf-8"))
    headers = {"Server": "cloudflare", "CF-RAY": "8f00000000000000-FRA"}
    return BodyResponse(body, status=406, content_type="text/html", headers=headers)


def empty_cookies() -> BodyResponse:
    """400 ``empty_cookies`` (blinkpy#1147, PR #1229)."""
    payload = {
        "error": "bad_request",
        "error_cause": "empty_cookies",
        "error_description": "Empty Cookies.",
    }
    return json_response(payload, status=400)
