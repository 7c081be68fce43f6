"""Everything the simulator knows, in one place the request handlers reach via the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from blink_mqtt.simulator.commands import Command, CommandBook
from blink_mqtt.simulator.faults import FaultBook
from blink_mqtt.simulator.liveview_book import LiveViewBook
from blink_mqtt.simulator.model import World
from blink_mqtt.simulator.oauth_limits import LoginLimits
from blink_mqtt.simulator.oauth_state import OAuthState
from blink_mqtt.simulator.scenario import AccountSpec, Arm304, OptionsSpec, Scenario, SizeUnit
from blink_mqtt.simulator.telemetry import Telemetry
from blink_mqtt.simulator.world_build import build_world

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Options:
    """Run-time behaviour; starts from the scenario's options."""

    command_pending_polls: int
    one_command_per_network: bool
    arm_answer_304: Arm304
    record_delay_seconds: float
    default_clip_size: int
    manifest_not_ready_polls: int
    usb_size_unit: SizeUnit
    clips_vanish_after_listing: bool
    latency_seconds: float = 0.0

    @classmethod
    def from_spec(cls, spec: OptionsSpec) -> Options:
        return cls(
            command_pending_polls=spec.command_pending_polls,
            one_command_per_network=spec.one_command_per_network,
            arm_answer_304=spec.arm_answer_304,
            record_delay_seconds=spec.record_delay_seconds,
            default_clip_size=spec.default_clip_size,
            manifest_not_ready_polls=spec.manifest_not_ready_polls,
            usb_size_unit=spec.usb_size_unit,
            clips_vanish_after_listing=spec.clips_vanish_after_listing,
        )


class SimState:
    """Account, devices, OAuth, commands, faults and telemetry of one simulator."""

    def __init__(self, scenario: Scenario, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.account: AccountSpec = scenario.account
        self.options = Options.from_spec(scenario.options)
        self.world: World = build_world(scenario, clock())
        self.oauth = OAuthState(
            twofa_enabled=scenario.two_factor.enabled,
            twofa_code=scenario.two_factor.code,
            token_expiry_seconds=scenario.options.token_expiry_seconds,
            rotate_refresh_tokens=scenario.options.rotate_refresh_tokens,
        )
        self.limits = LoginLimits(
            lockout_after_failures=scenario.options.lockout_after_failures,
            lockout_seconds=scenario.options.lockout_seconds,
            lockout_retry_after=scenario.options.lockout_retry_after,
            refresh_fail_every=scenario.options.refresh_fail_every,
        )
        self.busy_networks: set[int] = set()
        self.commands = CommandBook()
        self.faults = FaultBook()
        self.telemetry = Telemetry()
        self.liveview = LiveViewBook()

    def now(self) -> datetime:
        """Current UTC time, whole seconds (Blink timestamps have no fractions)."""
        return self.clock().replace(microsecond=0)

    def epoch(self) -> float:
        return self.clock().timestamp()

    @property
    def rest_host(self) -> str:
        return f"rest-{self.account.tier}.immedia-semi.com"

    def issue_command(self, network_id: int, kind: str, camera_id: int | None = None) -> Command:
        polls = self.options.command_pending_polls
        return self.commands.issue(network_id, kind, self.now(), polls, camera_id)


STATE_KEY = web.AppKey("blink_simulator_state", SimState)
