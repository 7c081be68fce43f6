"""Pollable command objects (``GET /network/{nid}/command/{id}``) and manifest requests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

FIRST_COMMAND_ID = 50001
FIRST_MANIFEST_ID = 8001


@dataclass(slots=True)
class Command:
    id: int
    network_id: int
    kind: str
    camera_id: int | None
    created_at: datetime
    pending_polls: int
    state_condition: str | None = None
    """Set for live-view commands only: ``new``, ``running``, ``done`` (listed in the
    status answer's ``commands``, which blinkpy's livestream polls)."""

    def poll(self) -> bool:
        """One status poll; True once the command is complete."""
        if self.pending_polls > 0:
            self.pending_polls -= 1
            return False
        return True


@dataclass(slots=True)
class ManifestRequest:
    sync_module_id: int
    manifest_id: int
    not_ready_polls: int


@dataclass(slots=True)
class CommandBook:
    commands: dict[int, Command] = field(default_factory=dict)
    manifests: dict[int, ManifestRequest] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(FIRST_COMMAND_ID))
    _manifest_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(FIRST_MANIFEST_ID)
    )

    def issue(
        self,
        network_id: int,
        kind: str,
        now: datetime,
        pending_polls: int,
        camera_id: int | None = None,
    ) -> Command:
        cmd = Command(next(self._ids), network_id, kind, camera_id, now, pending_polls)
        self.commands[cmd.id] = cmd
        return cmd

    def pending_on(self, network_id: int) -> bool:
        """Whether a command on this network has not been polled to completion."""
        return any(
            cmd.network_id == network_id and cmd.pending_polls > 0 for cmd in self.commands.values()
        )

    def find(self, network_id: int, command_id: int) -> Command | None:
        cmd = self.commands.get(command_id)
        if cmd is None or cmd.network_id != network_id:
            return None
        return cmd

    def request_manifest(self, cmd: Command, sync_module_id: int, not_ready_polls: int) -> None:
        """Tie a manifest request (whose id is ``cmd.id``) to a new manifest id."""
        manifest = ManifestRequest(sync_module_id, next(self._manifest_ids), not_ready_polls)
        self.manifests[cmd.id] = manifest

    def manifest_ids(self, sync_module_id: int) -> set[int]:
        return {
            m.manifest_id for m in self.manifests.values() if m.sync_module_id == sync_module_id
        }
