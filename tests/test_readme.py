"""The README's reference stays true: it is checked against the code's own tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from blink_mqtt.dispatch import COMMANDS
from blink_mqtt.errors import ERROR_CODES
from blink_mqtt.replies import (
    BridgeConfig,
    BridgeInfo,
    ClipFailure,
    ClipSavedEvent,
    MotionEvent,
    Progress,
    SnapshotEvent,
    SyncModuleFailure,
)
from blink_mqtt.settings import Settings
from blink_mqtt.state import AUTH_STATES, AuthStatus, CameraState, SyncState

README = (Path(__file__).parent.parent / "README.md").read_text()


def _table_cells(first_column_pattern: str) -> set[str]:
    return set(re.findall(rf"^\| `({first_column_pattern})`", README, re.MULTILINE))


def test_every_setting_is_documented() -> None:
    documented = _table_cells(r"[A-Z_]+")
    assert documented == {name.upper() for name in Settings.model_fields}


def test_every_command_is_documented() -> None:
    documented = _table_cells(r"[a-z0-9-]+")
    for command in COMMANDS:
        assert command in documented or f"alias `{command}`" in README, command


def test_every_error_code_and_auth_state_is_documented() -> None:
    for code in ERROR_CODES:
        assert f"`{code}`" in README, code
    for state in AUTH_STATES:
        assert f"`{state}`" in README, state


def keys(notation: str) -> list[str]:
    """The top-level keys of the README's payload notation, in order:
    `{"a": {"<X>": [paths]}, "b", "c": [...]}` -> ["a", "b", "c"]."""
    found, depth, i = [], 0, 0
    while i < len(notation):
        char = notation[i]
        if char == '"':
            end = notation.index('"', i + 1)
            is_value = notation[:i].rstrip().endswith(":")
            if depth == 1 and not is_value:
                found.append(notation[i + 1 : end])
            i = end
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        i += 1
    return found


def row(first_cell: str) -> list[str]:
    """The cells of the README table row whose first cell is `first_cell` (in backticks)."""
    line = next(line for line in README.splitlines() if line.startswith(f"| `{first_cell}`"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def documented(cell: str) -> list[str]:
    """The keys of the first `{...}` in a table cell."""
    match = re.search(r"`(\{.*?\})`", cell)
    assert match is not None, cell
    return keys(match.group(1))


def test_the_keys_parser() -> None:
    assert keys('{"a": {"<X>": [paths]}, "b", "c": [...]}') == ["a", "b", "c"]
    assert keys('{"auth": "ok"}') == ["auth"]


def test_every_response_body_is_documented_key_by_key() -> None:
    for command, spec in COMMANDS.items():
        cells = row(command) if f"| `{command}`" in README else row("cameras")
        data = cells[-1]
        if data.startswith("as `"):
            data = row(data.split("`")[1])[-1]
        assert documented(data) == spec.reply.keys(), command


def test_events_progress_info_and_states_are_documented_key_by_key() -> None:
    for event in (MotionEvent, SnapshotEvent, ClipSavedEvent):
        assert documented(row(str(event.event_type))[1]) == event.keys()
    assert documented(row("<base>/bridge/progress")[3]) == Progress.keys()
    info = row("<base>/bridge/info")[3]
    assert documented(info) == BridgeInfo.keys()
    assert keys(re.findall(r"`(\{.*?\})`", info)[1]) == BridgeConfig.keys()
    assert documented(row("<base>/bridge/auth")[3]) == list(
        AuthStatus("ok", "m", datetime.now(UTC)).payload()
    )
    assert documented(row("<base>/sync/<sync>/state")[3]) == list(
        SyncState("n", "s", 1, False, True, False).payload()
    )
    camera = re.search(r"Camera state: `(\{.*?\})`", README, re.DOTALL)
    assert camera is not None
    assert keys(camera.group(1).replace("\n", " ")) == list(
        CameraState("n", "s", 1, None, "t").payload()
    )


def test_download_failures_are_documented_key_by_key() -> None:
    clip = re.search(r'`(\{"camera", "recorded_at", "source", "error".*?\})`', README)
    module = re.search(r'`(\{"sync_module", "error"\})`', README)
    assert clip is not None
    assert module is not None
    assert keys(clip.group(1)) == ClipFailure.keys()
    assert keys(module.group(1)) == SyncModuleFailure.keys()


def test_the_ci_script_runs_the_readme_test_command() -> None:
    command = re.search(r"the test command:\n\n```sh\n(.+)\n```", README)
    assert command is not None
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert command.group(1) in ci.splitlines()
