"""The account's Gate (who uses blinkpy when) and the Coalescer (identical requests share
a run), on their own: ordering and cancellation, driven by events, never by time."""

from __future__ import annotations

import asyncio

import pytest

from blink_mqtt.account.gate import Gate
from blink_mqtt.coalesce import Coalescer
from blink_mqtt.errors import BlinkUnavailable, Busy


async def _settle() -> None:
    """Let every task that can run, run (a few loop turns)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_networks_share_the_gate_one_command_each() -> None:
    gate, order = Gate(), []
    release = asyncio.Event()

    async def command(network: int, name: str) -> None:
        async with gate.network(network):
            order.append(f"{name} in")
            await release.wait()
            order.append(f"{name} out")

    tasks = [
        asyncio.create_task(command(1, "a")),
        asyncio.create_task(command(2, "b")),
        asyncio.create_task(command(1, "c")),
    ]
    await _settle()
    assert order == ["a in", "b in"]  # networks 1 and 2 at once; c waits for a
    release.set()
    await asyncio.gather(*tasks)
    assert order.index("c in") > order.index("a out")


async def test_an_account_wide_step_runs_alone_and_goes_before_later_commands() -> None:
    gate, order = Gate(), []
    release = asyncio.Event()

    async def command(network: int, name: str) -> None:
        async with gate.network(network):
            order.append(name)
            await release.wait()

    async def step() -> None:
        async with gate:
            order.append("step")

    first = asyncio.create_task(command(1, "first"))
    await _settle()
    waiting = asyncio.create_task(step())
    later = asyncio.create_task(command(2, "later"))
    await _settle()
    assert order == ["first"]  # the step waits for `first`, `later` for the step
    release.set()
    await asyncio.gather(first, waiting, later)
    assert order == ["first", "step", "later"]


async def test_cancelled_waiters_leave_the_gate_free() -> None:
    gate = Gate()
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.network(1):
            await release.wait()

    async def step() -> None:
        async with gate:
            pass

    holder = asyncio.create_task(hold())
    await _settle()
    blocked_step = asyncio.create_task(step())
    blocked_same_network = asyncio.create_task(hold())
    await _settle()
    blocked_step.cancel()
    blocked_same_network.cancel()
    await asyncio.gather(blocked_step, blocked_same_network, return_exceptions=True)
    other = asyncio.create_task(hold())  # another command on the network after the cancels
    await _settle()
    release.set()
    await asyncio.gather(holder, other)
    async with asyncio.timeout(5):
        await step()  # nothing left held


async def test_identical_work_in_progress_runs_once() -> None:
    shared, runs = Coalescer(), []
    release = asyncio.Event()

    async def work() -> str:
        runs.append(1)
        await release.wait()
        return "picture"

    tasks = [asyncio.create_task(shared.run("snap", work)) for _ in range(5)]
    await _settle()
    release.set()
    assert await asyncio.gather(*tasks) == ["picture"] * 5
    assert runs == [1]
    assert shared.shared == 4
    assert await shared.run("snap", work) == "picture"  # after the run: a new one
    assert runs == [1, 1]


async def test_a_cancelled_waiter_does_not_cancel_the_shared_run() -> None:
    shared = Coalescer()
    release = asyncio.Event()

    async def work() -> str:
        await release.wait()
        return "done"

    owner = asyncio.create_task(shared.run("k", work))
    await _settle()
    quitter = asyncio.create_task(shared.run("k", work))
    stayer = asyncio.create_task(shared.run("k", work))
    await _settle()
    quitter.cancel()
    await _settle()
    release.set()
    assert await owner == "done"
    assert await stayer == "done"
    assert quitter.cancelled()


async def test_errors_are_shared_and_a_cancelled_run_is_busy_for_its_waiters() -> None:
    shared = Coalescer()
    release = asyncio.Event()

    async def failing() -> str:
        await release.wait()
        raise BlinkUnavailable("no answer")

    owner = asyncio.create_task(shared.run("a", failing))
    await _settle()
    waiter = asyncio.create_task(shared.run("a", failing))
    await _settle()
    release.set()
    for task in (owner, waiter):
        with pytest.raises(BlinkUnavailable):
            await task

    async def endless() -> str:
        await asyncio.Event().wait()
        return "never"

    owner = asyncio.create_task(shared.run("b", endless))
    await _settle()
    waiter = asyncio.create_task(shared.run("b", endless))
    await _settle()
    owner.cancel()
    with pytest.raises(Busy):
        await waiter
