"""Who may use the HTTP server, and from where.

- With HTTP_USERNAME/HTTP_PASSWORD or HTTP_TOKEN set, every route but /healthz and
  /metrics needs them: HTTP Basic, or `Authorization: Bearer <token>` (a browser may
  send the token as the Basic password, with any user name).
- Without credentials (allowed on a loopback HTTP_HOST only, see settings.check_http),
  the Host header must name this machine (a loopback name or PUBLIC_BASE_URL's host):
  a web page cannot reach the bridge by pointing its own domain at 127.0.0.1 (DNS
  rebinding).
- Requests from another site are refused (403) when they change state or are not a
  plain navigation to the page or a media file: `Sec-Fetch-Site` must be `same-origin`
  or `none` (typed URL) when a browser sends it; without it (older browsers), `Origin`,
  when sent, must be this server's own. curl and scripts send neither.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from blink_mqtt import redact
from blink_mqtt.settings import Settings, is_loopback

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPEN_PATHS = frozenset({"/healthz", "/metrics"})
"""Reachable without credentials: they neither change state nor show media."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE = frozenset({"same-origin", "none"})
REALM = 'Basic realm="blink-mqtt", charset="UTF-8"'


def _same(given: str, wanted: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), wanted.encode("utf-8"))


class Guard:
    """The checks above, as an aiohttp middleware. `browsable(path)` says which paths a
    page of another site may link to (the page itself and media)."""

    def __init__(self, settings: Settings, browsable: Callable[[str], bool]) -> None:
        self._user = settings.http_username or ""
        password = settings.http_password.get_secret_value() if settings.http_password else ""
        token = settings.http_token.get_secret_value() if settings.http_token else ""
        self._password, self._token = password, token
        redact.register(password, token)  # masked in every log line, should one show them
        self._required = settings.http_credentials
        base = urlsplit(settings.public_base_url or "")
        self._own_hosts = {h for h in (base.hostname,) if h}
        self._browsable = browsable

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS and request.method in SAFE_METHODS:
            return await handler(request)
        if self._required and not self._authorised(request.headers.get("Authorization", "")):
            raise web.HTTPUnauthorized(
                text="credentials required (HTTP_USERNAME/HTTP_PASSWORD or HTTP_TOKEN)\n",
                headers={"WWW-Authenticate": REALM},
            )
        if not self._required and not self._local_host(request.host):
            raise web.HTTPForbidden(text="this server answers to its own host name only\n")
        if self._cross_site(request):
            raise web.HTTPForbidden(text="cross-site request refused\n")
        return await handler(request)

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer":
            return bool(self._token) and _same(value, self._token)
        if scheme != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if not sep:
            return False
        if self._token and _same(password, self._token):
            return True
        basic = bool(self._user and self._password)
        return basic and _same(user, self._user) & _same(password, self._password)

    def _local_host(self, host: str) -> bool:
        try:
            name = urlsplit(f"//{host}").hostname or ""
        except ValueError:  # e.g. `[::1` or `[x]`
            return False
        return is_loopback(name) or name in self._own_hosts

    def _cross_site(self, request: web.Request) -> bool:
        changes = request.method not in SAFE_METHODS or not self._browsable(request.path)
        if not changes:
            return False
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None:  # the browser's own word; Origin may be `null` by policy
            return site not in SAME_SITE
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        try:
            netloc = urlsplit(origin).netloc
        except ValueError:
            return True
        return origin == "null" or netloc.lower() != request.host.lower()
