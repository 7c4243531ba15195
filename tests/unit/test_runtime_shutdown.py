"""A group's future is shared: a cancelled waiter never cancels it for the others, and stopping
(which cancels the market and the timer mid-wait) drains the groups and writes the final snapshot."""

from __future__ import annotations

import asyncio
from pathlib import Path

from krakensim.engine.commands import CreateAccount
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.store.journal import Journal

T0 = 1_700_000_000_000


def make(path: Path) -> Runtime:
    return Runtime(seed=5, journal=Journal(str(path), seed=5), clock=ManualClock(T0))


def test_a_cancelled_request_does_not_cancel_its_group_for_the_others(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")

    async def go() -> None:
        await rt.start()
        await rt.submit(CreateAccount(1))
        # a group in flight, and two requests gathering in the next one
        slow = asyncio.ensure_future(rt.submit(CreateAccount(2)))
        await asyncio.sleep(0)
        quitter = asyncio.ensure_future(rt.submit(CreateAccount(3)))
        stayer = asyncio.ensure_future(rt.submit(CreateAccount(4)))
        await asyncio.sleep(0)
        quitter.cancel()  # the client went away (or shut-down cancelled it)
        res = await stayer  # the others in its group are still answered, once durable
        assert res.account_id is not None
        await slow
        await rt.barrier()
        assert rt.fatal is None and rt._writer is not None and not rt._writer.done()
        await rt.submit(CreateAccount(5))  # and the writer goes on
        await rt.stop()

    asyncio.run(go())
    assert rt.journal is not None
    again = make(tmp_path / "j.sqlite")
    assert again.journal is not None and again.journal.seq == 5  # the cancelled one was journaled all the same


def test_stop_cancels_waiters_drains_and_writes_the_final_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    rt = make(path)

    async def waiter() -> None:
        while True:
            await rt.submit(CreateAccount(7))

    async def go() -> None:
        await rt.start()
        rt._tasks.append(asyncio.create_task(waiter()))  # like the market: cancelled by stop mid-wait
        while rt.seq < 4:  # a few commands durable, the next one waiting
            await asyncio.sleep(0.005)
        await rt.stop()

    asyncio.run(go())
    assert rt.fatal is None and rt.seq > 3
    again = make(path)
    assert again.replay() == 0 and again.snapshot_seq == rt.seq  # the next start replays nothing
    assert again.exchange.digest() == rt.exchange.digest()
