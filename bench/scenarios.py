"""Scenarios the benches need, built from the simulator's public scenario models.

`cameras(n)`: N default cameras (catalina) in networks of at most 10 (the most one
sync module takes), every network armed with an online sync module, each camera one
cloud clip an hour old; 2FA off so that `blink-mqtt run` logs in unattended.
"""

from __future__ import annotations

from blink_mqtt.simulator import Scenario, default_scenario
from blink_mqtt.simulator.scenario import (
    CameraSpec,
    ClipSpec,
    NetworkSpec,
    SyncModuleSpec,
    TwoFactorSpec,
)

PER_NETWORK = 10


def camera_name(n: int) -> str:
    """The name of camera `n` (0-based) in `cameras()`."""
    return f"Cam {n + 1}"


def _camera(n: int) -> CameraSpec:
    return CameraSpec(
        id=4100 + n,
        name=camera_name(n),
        serial=f"G8T1-{4100 + n}-BNCH",
        fw_version="10.74",
        clips=(ClipSpec(age_minutes=60 + n),),
    )


def cameras(count: int) -> Scenario:
    """`count` cameras in networks of PER_NETWORK, no 2FA."""
    networks = tuple(
        NetworkSpec(
            id=2100 + k,
            name=f"Site {k + 1}",
            armed=True,
            sync_module=SyncModuleSpec(id=3100 + k, serial=f"G8SM-{3100 + k}-BNCH"),
            cameras=tuple(
                _camera(n) for n in range(k * PER_NETWORK, min(count, (k + 1) * PER_NETWORK))
            ),
        )
        for k in range((count + PER_NETWORK - 1) // PER_NETWORK)
    )
    return Scenario(networks=networks, two_factor=TwoFactorSpec(enabled=False))


def default_without_2fa() -> Scenario:
    """The built-in scenario (5 cameras of every kind), 2FA off."""
    return default_scenario().model_copy(update={"two_factor": TwoFactorSpec(enabled=False)})
