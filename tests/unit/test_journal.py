"""The journal: group commit, replay to the same state, durability before the answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from krakensim.engine.commands import CODEC, CancelOrder, CreateAccount, PlaceOrder, Tick
from krakensim.engine.units import BUY, SELL
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.runtime.keys import AddApiKey
from krakensim.store.journal import Journal

T0 = 1_700_000_000_000


def make(path: Path) -> Runtime:
    return Runtime(seed=5, journal=Journal(str(path)), clock=ManualClock(T0))


async def workload(rt: Runtime) -> list[str]:
    await rt.start()
    a = (await rt.submit(CreateAccount(10**13))).account_id
    b = (await rt.submit(CreateAccount(10**13))).account_id
    rt.clock.advance(1)

    async def one(i: int) -> str | None:
        side = BUY if i % 2 else SELL
        r = await rt.submit(PlaceOrder(account_id=a if i % 3 else b, symbol="PF_XBTUSD", side=side, order_type="lmt",
                                       quantity=1 + i % 5, limit_price=90000 + (i % 7) - 3))
        return r.order_id

    ids = await asyncio.gather(*(one(i) for i in range(200)))
    await asyncio.gather(*(rt.submit(CancelOrder(a, order_id=oid)) for oid in ids[::3] if oid))
    await rt.barrier()
    assert rt.journal is not None
    commits = rt.journal.commits
    await rt.stop(final_snapshot=False)  # as after a crash: the next start replays it all
    return [str(commits)]


def test_replay_gives_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    rt = make(path)
    (commits,) = asyncio.run(workload(rt))
    digest = rt.exchange.digest()
    n_records = rt.seq
    # group commit: the 200 concurrent places and their cancels went out in far fewer transactions
    assert int(commits) < n_records / 4
    again = make(path)
    assert again.replay() == n_records
    assert again.exchange.digest() == digest
    assert again.exchange.ids.counter == rt.exchange.ids.counter


def test_answer_waits_for_the_commit(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")

    async def go() -> None:
        await rt.start()
        res, fut = rt.apply_now(CreateAccount(1))
        assert fut is not None and not fut.done()  # applied in memory, not yet durable
        await fut
        assert rt.journal is not None
        journaled = [msgspec.json.decode(cmd) for _seq, _ts, cmd in rt.journal.replay()]
        assert journaled == [{"c": "acct", "usd8": 1}]
        await rt.stop()

    asyncio.run(go())


def test_memory_mode_has_no_journal() -> None:
    rt = Runtime(seed=1, journal=None, clock=ManualClock(T0))
    res, fut = rt.apply_now(CreateAccount(5))
    assert fut is None and res.account_id in rt.exchange.accounts


def test_a_command_the_journal_cannot_hold_changes_nothing(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")

    async def go() -> None:
        await rt.start()
        a = (await rt.submit(CreateAccount(10**13))).account_id
        before = rt.exchange.digest()
        # msgspec journals integers of any size (a 100-bit price is journalable now): a client order id
        # that is no JSON value at all is what the journal cannot hold
        unencodable = PlaceOrder(account_id=a, symbol="PF_XBTUSD", side=BUY, order_type="lmt", quantity=1,
                                 limit_price=90000, client_order_id=object())  # type: ignore[arg-type]
        try:
            await rt.submit(unencodable)
        except TypeError:
            pass
        else:
            raise AssertionError("a command the journal cannot encode was journaled")
        assert rt.exchange.digest() == before  # not even an id was used
        await rt.stop()

    asyncio.run(go())


def test_after_a_journal_failure_nothing_more_is_accepted(tmp_path: Path) -> None:
    rt = make(tmp_path / "j.sqlite")
    assert rt.journal is not None

    def broken(records: list[bytes]) -> None:
        raise OSError("disk full")

    async def go() -> None:
        await rt.start()
        await rt.submit(CreateAccount(1))
        rt.journal.append_many = broken  # type: ignore[method-assign]
        failed = asyncio.ensure_future(rt.submit(CreateAccount(2)))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if failed.done():
                break
        assert failed.done() and isinstance(failed.exception(), OSError)
        for attempt in (rt.submit(CreateAccount(3)), rt.barrier()):
            try:
                await attempt
            except RuntimeError:
                continue
            raise AssertionError("accepted after the journal failed")
        await rt.stop()

    asyncio.run(go())


def test_a_snapshot_plus_the_tail_gives_the_state_of_the_whole_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    rt = make(path)

    async def go() -> None:
        await workload_more(rt, 0)
        await rt.snapshot()  # taken while running, after the commands so far are durable
        assert rt.snapshot_seq == rt.seq
        await workload_more(rt, 1)
        await rt.barrier()
        await rt.stop(final_snapshot=False)  # as after a crash: the rest is replayed

    asyncio.run(go())
    digest, seq = rt.exchange.digest(), rt.seq
    assert 0 < rt.snapshot_seq < seq
    full = make(path)
    assert full.replay(use_snapshot=False) == seq
    fast = make(path)
    tail = fast.replay()
    assert 0 < tail < seq and fast.snapshot_seq == rt.snapshot_seq  # only what came after the snapshot
    assert full.exchange.digest() == fast.exchange.digest() == digest
    assert fast.keys.keys.keys() == rt.keys.keys.keys()


def test_an_unreadable_snapshot_falls_back_to_the_whole_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    rt = make(path)
    asyncio.run(one_round(rt))
    journal = Journal(str(path))
    journal.write_snapshot(rt.seq, rt.snapshot_tag, b"not a snapshot")
    journal.write_snapshot(rt.seq - 1, "older code", b"ignored")  # another tag is never loaded
    journal.close()
    again = make(path)
    assert again.replay() == rt.seq and again.snapshot_seq == 0
    assert again.exchange.digest() == rt.exchange.digest()


async def one_round(rt: Runtime, snapshot: bool = False) -> None:
    """One round of ``workload_more``, durable, a snapshot if asked, stop (without its final snapshot)."""
    await workload_more(rt, 0)
    await rt.barrier()
    if snapshot:
        rt.snapshot_sync()
    await rt.stop(final_snapshot=False)


async def workload_more(rt: Runtime, round_: int) -> None:
    await rt.start()
    a = (await rt.submit(CreateAccount(10**13))).account_id
    await rt.submit(AddApiKey(f"key{round_}", "c2VjcmV0", a))
    for i in range(50):
        rt.clock.advance(10)
        await rt.submit(PlaceOrder(account_id=a, symbol="PF_XBTUSD", side=BUY if i % 2 else SELL, order_type="lmt",
                                   quantity=1 + i, limit_price=89000 if i % 2 else 91000))


def test_a_snapshot_inside_a_group_replays_the_rest_of_that_group(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path / "j.sqlite"))
    tick = CODEC.encode(Tick())
    journal.append_many([Journal.frame(1, T0, tick)])
    journal.append_many([Journal.frame(2, T0, tick)])
    # a group that went on filling while a snapshot was taken after command 3
    journal.append_many([Journal.frame(3, T0, tick), Journal.frame(4, T0 + 1, tick)])
    assert [seq for seq, _, _ in journal.replay(3)] == [4]
    assert [seq for seq, _, _ in journal.replay(2)] == [3, 4]
    assert [seq for seq, _, _ in journal.replay(0)] == [1, 2, 3, 4]


def test_a_snapshot_of_another_configuration_is_not_loaded(tmp_path: Path) -> None:
    from dataclasses import replace
    from decimal import Decimal

    from krakensim.engine import default_instruments

    path = tmp_path / "j.sqlite"
    rt = make(path)
    asyncio.run(one_round(rt, snapshot=True))
    instruments = default_instruments()
    instruments["PF_ETHUSD"] = replace(instruments["PF_ETHUSD"], tick_size=Decimal("0.5"))
    other = Runtime(seed=5, journal=Journal(str(path)), clock=ManualClock(T0), instruments=instruments)
    assert other.snapshot_tag != rt.snapshot_tag
    assert other.replay() == rt.seq and other.snapshot_seq == 0  # the whole journal, with the new instrument
    assert other.exchange.instruments["PF_ETHUSD"].tick_size == Decimal("0.5")
    same = make(path)
    assert same.replay() == 0 and same.snapshot_seq == rt.seq
