"""The runtime's event stream: each journal group's events reach subscribers after its commit and
never before, in apply order; a subscriber that falls behind is cut off without holding up the
writer or the other subscribers."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from krakensim.engine.commands import CancelOrder, CreateAccount, PlaceOrder
from krakensim.engine.events import (
    AccountCreated,
    AccountLogged,
    BookLevelChanged,
    OrderCancelled,
    OrderEnteredBook,
    OrderPlaced,
)
from krakensim.engine.units import BUY
from krakensim.runtime.bus import EventBus, Overflowed
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.store.journal import Journal

T0 = 1_767_225_600_000
FUNDS = 10**13


def make(path: Path | None) -> Runtime:
    return Runtime(seed=1, journal=Journal(str(path)) if path else None, clock=ManualClock(T0))


def test_events_are_published_only_after_their_group_is_committed(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")
    assert rt.journal is not None
    gate = threading.Event()
    commit = rt.journal.append_many

    def slow_commit(records: list[bytes]) -> None:
        gate.wait(5)
        commit(records)

    rt.journal.append_many = slow_commit  # type: ignore[method-assign]

    async def go() -> None:
        await rt.start()
        sub = rt.bus.subscribe()
        pending = asyncio.ensure_future(rt.submit(CreateAccount(FUNDS)))
        await asyncio.sleep(0.05)
        assert not pending.done()
        assert sub.get_nowait() == []  # applied in memory, in the writer's hands, not durable: nothing yet
        gate.set()
        res = await pending
        events = await asyncio.wait_for(sub.get(), 1)
        assert events == res.events and [type(e) for e in events[-2:]] == [AccountCreated, AccountLogged]
        await rt.stop()

    asyncio.run(go())


def test_subscribers_see_every_event_in_apply_order_across_groups(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")

    async def go() -> None:
        await rt.start()
        sub = rt.bus.subscribe()
        created = await rt.submit(CreateAccount(FUNDS))
        account = created.account_id
        assert account is not None
        results = await asyncio.gather(*(
            rt.submit(PlaceOrder(account, "PF_XBTUSD", BUY, "lmt", 1 + i, 80_000 + i)) for i in range(20)
        ))
        cancel = await rt.submit(CancelOrder(account, results[3].order_id))
        unchanged = await rt.submit(CancelOrder(account, results[3].order_id))  # notFound: changes nothing
        assert unchanged.status == "notFound" and unchanged.events == []
        applied = [e for r in (created, *results, cancel) for e in r.events]
        seen = []
        while len(seen) < len(applied):
            seen += await asyncio.wait_for(sub.get(), 1)
        assert seen == applied
        assert [type(e) for e in results[0].events] == [OrderPlaced, BookLevelChanged, OrderEnteredBook]
        assert [type(e) for e in cancel.events] == [BookLevelChanged, OrderCancelled]
        assert sub.get_nowait() == []  # and nothing for the command that changed nothing
        await rt.stop()

    asyncio.run(go())


def test_in_memory_events_are_published_as_soon_as_applied() -> None:
    rt = make(None)
    sub = rt.bus.subscribe()
    res, durable = rt.apply_now(CreateAccount(FUNDS))
    assert durable is None and sub.get_nowait() == res.events != []


def test_a_subscriber_that_falls_behind_is_cut_off_and_holds_up_nobody(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")

    async def go() -> None:
        await rt.start()
        account = (await rt.submit(CreateAccount(FUNDS))).account_id
        assert account is not None
        slow = rt.bus.subscribe(limit=10)
        keen = rt.bus.subscribe()
        got: list[object] = []

        async def read() -> None:
            while True:
                got.extend(await keen.get())

        reader = asyncio.ensure_future(read())
        published = 0
        for i in range(30):  # each placement is three events: the slow one overflows at the fourth
            res = await rt.submit(PlaceOrder(account, "PF_XBTUSD", BUY, "lmt", 1, 70_000 + i))
            published += len(res.events)
            if i == 2:
                assert not slow.overflowed and len(slow.pending) == 9
        await asyncio.sleep(0.01)
        with pytest.raises(Overflowed):
            await slow.get()
        assert len(rt.bus) == 1  # the slow one is gone; the writer went on and the keen one has everything
        assert len(got) == published == 90
        reader.cancel()
        await rt.stop()

    asyncio.run(go())


def test_a_bus_never_waits_for_its_subscribers() -> None:
    bus = EventBus()
    subs = [bus.subscribe(limit=5) for _ in range(3)]
    event = AccountCreated(T0, "a", 1)
    for _ in range(5):
        bus.publish([event])
    assert all(s.get_nowait() == [event] * 5 for s in subs)
    bus.publish([event] * 6)  # more than any one may hold: all three are cut off, at once
    assert len(bus) == 0
    for s in subs:
        with pytest.raises(Overflowed):
            s.get_nowait()
