"""Whatever Blink answers a command with, `actions.command` returns an accepted answer or
raises one of our errors (BlinkBusy for a busy network): never anything else."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from blink_mqtt.account import actions
from blink_mqtt.errors import BlinkBusy, BlinkUnavailable

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
ANSWERS = JSON | st.dictionaries(
    st.sampled_from(["id", "message", "code", "network_id", "complete"]), JSON, max_size=4
)


async def _answer(value: Any) -> Any:
    return value


def _outcome(value: Any, accept_304: bool) -> str:
    """`accepted`, `busy` or `refused` (the error's message is kept for the checks)."""
    call = actions.command(_answer(value), "Front Door: snapshot", accept_304=accept_304)
    message = ""
    try:
        result = asyncio.run(call)
    except BlinkUnavailable as err:  # BlinkBusy included
        message, outcome = err.message, "busy" if isinstance(err, BlinkBusy) else "refused"
    else:
        assert isinstance(result, dict)
        return "accepted"
    assert message.startswith("Front Door: snapshot: ")
    assert outcome == "refused" or "busy" in message
    return outcome


@given(ANSWERS, st.booleans())
def test_any_answer_is_accepted_or_one_of_our_errors(value: Any, accept_304: bool) -> None:
    outcome = _outcome(value, accept_304)
    if outcome == "accepted":
        assert isinstance(value, dict)
        accepted_304 = accept_304 and value.get("code") == actions.NO_CAMERAS_ENABLED
        assert "id" in value or not ({"message", "code"} & set(value)) or accepted_304


def test_the_answers_blink_is_known_for() -> None:
    busy = {"message": "Sync module is busy, please try again", "code": 409}
    no_cameras = {"message": "No Cameras Enabled for Motion", "code": 304}
    assert _outcome(busy, False) == "busy"
    assert _outcome({"message": "Busy", "code": 307}, False) == "busy"
    assert _outcome(no_cameras, True) == "accepted"
    assert _outcome(no_cameras, False) == "refused"
    assert _outcome({"message": "Not found", "code": 1000}, False) == "refused"
    assert _outcome({"id": 50001, "network_id": 2001}, False) == "accepted"
    assert _outcome(None, False) == "refused"
