"""The README's reference stays true: it is checked against the code's own tables."""

from __future__ import annotations

import re
from pathlib import Path

from blink_mqtt.dispatch import COMMANDS
from blink_mqtt.errors import ERROR_CODES
from blink_mqtt.settings import Settings
from blink_mqtt.state import AUTH_STATES, CameraState, SyncState

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


def test_state_payload_fields_are_documented() -> None:
    camera = CameraState("n", "s", 1, None, "t").payload()
    for field in camera:
        assert f'"{field}"' in README, field
    sync = SyncState("n", "s", 1, False, True, False).payload()
    for field in sync:
        assert f'"{field}"' in README, field


def test_the_ci_script_runs_the_readme_test_command() -> None:
    command = re.search(r"the test command:\n\n```sh\n(.+)\n```", README)
    assert command is not None
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert command.group(1) in ci.splitlines()
