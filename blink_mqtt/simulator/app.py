"""The aiohttp application: every route table registered behind the request pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from blink_mqtt.simulator import (
    control,
    oauth,
    rest_account,
    rest_cameras,
    rest_liveview,
    rest_media,
    rest_storage,
)
from blink_mqtt.simulator.pipeline import MIDDLEWARES, ROUTES_KEY
from blink_mqtt.simulator.routes import Route
from blink_mqtt.simulator.state import STATE_KEY

if TYPE_CHECKING:
    from blink_mqtt.simulator.core import Simulator

ALL_ROUTES: tuple[Route, ...] = (
    *oauth.ROUTES,
    *rest_account.ROUTES,
    *rest_cameras.ROUTES,
    *rest_liveview.ROUTES,
    *rest_media.ROUTES,
    *rest_storage.ROUTES,
    *control.ROUTES,
)


def build_app(sim: Simulator) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=1024**2)
    app[STATE_KEY] = sim.state
    app[control.SIM_KEY] = sim
    table: dict[web.AbstractRoute, Route] = {}
    for route in ALL_ROUTES:
        registered = app.router.add_route(route.method, route.path, route.handler)
        table[registered] = route
    app[ROUTES_KEY] = table
    rest_liveview.install(app)
    return app
