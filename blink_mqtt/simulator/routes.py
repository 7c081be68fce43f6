"""The route table type: every route has a virtual host and a stable endpoint name."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OAUTH_HOST = "api.oauth.blink.com"
PROD_HOST = "rest-prod.immedia-semi.com"
CONTROL_PREFIX = "/_sim/"


class VHost(enum.Enum):
    OAUTH = "oauth"
    REST_PROD = "rest-prod"
    REST_TIER = "rest-tier"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    name: str
    handler: Handler
    vhost: VHost = VHost.REST_TIER
    auth: bool = True


def rest(method: str, path: str, name: str, handler: Handler) -> Route:
    """A Bearer-authenticated route on ``rest-{tier}.immedia-semi.com``."""
    return Route(method, path, name, handler)


ACCOUNT = "/api/v1/accounts/{aid}/networks/{nid}"
OWL = ACCOUNT + "/owls/{cid}"
DOORBELL = ACCOUNT + "/doorbells/{cid}"
CAMERA = "/network/{nid}/camera/{cid}"
STORAGE = ACCOUNT + "/sync_modules/{sid}/local_storage"
