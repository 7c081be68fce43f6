"""The simulator as its own process: ``run_standalone`` and side-effect-free imports."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

STANDALONE = (
    "import asyncio; from blink_mqtt.simulator import run_standalone; "
    "asyncio.run(run_standalone('127.0.0.1', 0, None))"
)
IMPORT_ONLY = (
    "import sys, logging; import blink_mqtt.simulator, blink_mqtt.mediafile; "
    "assert 'aiomqtt' not in sys.modules; assert not logging.getLogger().handlers; "
    "print('clean')"
)


async def test_run_standalone_prints_its_url_and_serves() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", STANDALONE, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=20)).decode()
        assert line.startswith("Blink cloud simulator listening on http://127.0.0.1:")
        url = line.split()[-1]
        async with aiohttp.ClientSession() as session, session.get(f"{url}/_sim/state") as resp:
            state = await resp.json()
        assert [n["name"] for n in state["networks"]] == ["Home", "Cabin", "Kitchen"]
    finally:
        proc.terminate()
        await proc.wait()


async def test_importing_the_simulator_has_no_side_effects() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", IMPORT_ONLY, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert (proc.returncode, out.strip()) == (0, b"clean")
