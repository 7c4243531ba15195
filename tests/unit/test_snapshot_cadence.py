"""The snapshot cadence follows the replay a crash would cost: the time spent applying journaled
commands since the latest snapshot (runtime/core.py, docs/journal.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from krakensim.engine.commands import CancelOrder, CreateAccount
from krakensim.runtime import core
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.store.journal import Journal

T0 = 1_700_000_000_000


def make(path: Path) -> Runtime:
    return Runtime(seed=5, journal=Journal(str(path), seed=5), clock=ManualClock(T0))


def test_only_journaled_commands_count_and_a_snapshot_clears_them(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")

    async def go() -> None:
        await rt.start()
        a = (await rt.submit(CreateAccount(10**12))).account_id
        assert a is not None
        counted = rt.unsnapshotted_s
        assert counted > 0
        await rt.submit(CancelOrder(a, order_id="no-such-order"))  # changes nothing: not journaled, not counted
        assert rt.unsnapshotted_s == counted
        await rt.barrier()
        rt.snapshot_sync()
        assert rt.unsnapshotted_s == 0
        await rt.submit(CreateAccount(1))
        assert rt.unsnapshotted_s > 0
        await rt.stop(final_snapshot=False)

    asyncio.run(go())
    again = make(tmp_path / "j.sqlite")
    assert again.replay() == 1  # the command after the snapshot
    assert again.unsnapshotted_s > 0  # a crash now would replay it again


def test_the_loop_takes_a_snapshot_once_the_budget_is_spent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "SNAPSHOT_CHECK_S", 0.01)
    monkeypatch.setattr(core, "SNAPSHOT_MIN_GAP_S", 0.0)
    rt = make(tmp_path / "j.sqlite")

    async def go(budget: float) -> int:
        monkeypatch.setattr(core, "REPLAY_BUDGET_S", budget)
        await rt.start()
        for _ in range(20):
            await rt.submit(CreateAccount(1))
        for _ in range(500):  # the loop checks every 10 ms; a forked child writes the snapshot
            await asyncio.sleep(0.01)
            if rt.snapshots_taken:
                break
        taken = rt.snapshots_taken
        await rt.stop(final_snapshot=False)
        return taken

    assert asyncio.run(go(1e-9)) >= 1
    assert rt.snapshot_seq > 0
    again = make(tmp_path / "j.sqlite")
    assert again.replay() == rt.seq - rt.snapshot_seq and again.snapshot_seq == rt.snapshot_seq


def test_the_loop_waits_while_the_budget_is_not_spent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "SNAPSHOT_CHECK_S", 0.01)
    monkeypatch.setattr(core, "SNAPSHOT_MIN_GAP_S", 0.0)
    monkeypatch.setattr(core, "REPLAY_BUDGET_S", 3600.0)
    rt = make(tmp_path / "j.sqlite")

    async def go() -> None:
        await rt.start()
        for _ in range(20):
            await rt.submit(CreateAccount(1))
        await asyncio.sleep(0.3)  # thirty checks
        await rt.stop(final_snapshot=False)

    asyncio.run(go())
    assert rt.snapshots_taken == 0 and rt.snapshot_seq == 0
