"""A faithful emulator of the Blink cloud that unmodified blinkpy 0.25.9 can use over HTTP.

Public API:

* ``Simulator(scenario=None)``: state plus control methods; ``.app`` is the aiohttp app.
* ``serve(sim, host, port)``: async context manager yielding ``http://HOST:PORT``.
* ``run_standalone(host, port, scenario_path)``: serve until cancelled.
* ``routed_session(base_url)``: a ClientSession routing Blink hosts to the simulator.
* ``Scenario``, ``load_scenario(path)``, ``default_scenario()``,
  ``realistic_scenario()``: the scenario format
  (see ``SCENARIO.md``).

Importing this package has no side effects and never imports aiomqtt.
"""

from blink_mqtt.simulator.core import AddedClip, Simulator
from blink_mqtt.simulator.faults import Fault, FaultKind
from blink_mqtt.simulator.routing import routed_session
from blink_mqtt.simulator.scenario import (
    Scenario,
    default_scenario,
    load_scenario,
    realistic_scenario,
)
from blink_mqtt.simulator.serving import run_standalone, serve
from blink_mqtt.simulator.snapshot import NetworkState, SimCameraState, SimSnapshot
from blink_mqtt.simulator.telemetry import Counters, RequestRecord

__all__ = [
    "AddedClip",
    "Counters",
    "Fault",
    "FaultKind",
    "NetworkState",
    "RequestRecord",
    "Scenario",
    "SimCameraState",
    "SimSnapshot",
    "Simulator",
    "default_scenario",
    "load_scenario",
    "realistic_scenario",
    "routed_session",
    "run_standalone",
    "serve",
]
