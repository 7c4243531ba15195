"""The WebSocket hub against the runtime's group commit: what is read from the state is sent only once it
is durable, a snapshot and the updates after it neither miss nor double an event (whenever the client
subscribes, even with groups in flight), each message is serialised once for all its subscribers, and
a hub that falls behind the bus closes every connection rather than skip events."""

from __future__ import annotations

import asyncio
import json
import random
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krakensim.api.render.numbers import price_out, size_out
from krakensim.engine.commands import CancelOrder, CreateAccount, EditOrder, PlaceOrder
from krakensim.engine.units import BUY, SELL
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.store.journal import Journal
from krakensim.ws.hub import Hub, Key, Sub

T0 = 1_767_225_600_000
FUNDS = 10**13
XBT = "PF_XBTUSD"


class Peer:
    """A connection without a socket: what the hub writes, as frames."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.subs: dict[Key, Sub] = {}
        self.written: list[bytes] = []
        self.dropped: int | None = None

    def flush(self) -> None:
        self.written += self.out
        self.out.clear()

    def drop(self, code: int, reason: str) -> None:
        self.dropped = code

    def messages(self) -> list[dict[str, Any]]:
        out = []
        for frame in self.written:
            assert frame[0] == 0x81, "a final text frame"
            n, at = frame[1], 2
            if n == 126:
                n, at = struct.unpack("!H", frame[2:4])[0], 4
            elif n == 127:
                n, at = struct.unpack("!Q", frame[2:10])[0], 10
            assert len(frame) == at + n
            out.append(json.loads(frame[at:]))
        return out


def gated(path: Path) -> tuple[Runtime, threading.Event]:
    """A runtime whose writer commits only while ``gate`` is set."""
    rt = Runtime(seed=1, journal=Journal(str(path)), clock=ManualClock(T0))
    assert rt.journal is not None
    gate = threading.Event()
    gate.set()
    commit = rt.journal.append_many

    def held(records: list[bytes]) -> None:
        gate.wait(10)
        commit(records)

    rt.journal.append_many = held  # type: ignore[method-assign]
    return rt, gate


async def settle(rt: Runtime, hub: Hub) -> None:
    """Until everything applied is durable and the hub has handled it."""
    for _ in range(500):
        await rt.barrier()
        await asyncio.sleep(0)
        if hub.position == rt.applied_events() and not hub.feed.pending and hub.flush_timer is None:
            return
        await asyncio.sleep(0.002)
    raise AssertionError("the hub never caught up")


def test_a_snapshot_read_with_a_group_in_flight_is_sent_when_it_is_durable_and_not_doubled(tmp_path: Path) -> None:
    rt, gate = gated(tmp_path / "j.sqlite")

    async def go() -> None:
        hub = Hub(rt)
        rt.background.append(hub.run)
        await rt.start()
        account = (await rt.submit(CreateAccount(FUNDS))).account_id
        assert account is not None
        await settle(rt, hub)
        gate.clear()  # the next group stays in flight
        pending = asyncio.ensure_future(rt.submit(PlaceOrder(account, XBT, BUY, "lmt", 5, 80_000)))
        await asyncio.sleep(0.05)
        assert not pending.done()
        peer = Peer()
        hub.attach(peer)
        hub.subscribe(peer, ("book", XBT))  # the state has the order; the bus has not published it
        hub.flush()
        assert peer.written == [] and peer.out == []  # nothing that a crash could take back
        gate.set()
        await pending
        await settle(rt, hub)
        inst = rt.exchange.instruments[XBT]
        (snapshot,) = peer.messages()
        assert snapshot["feed"] == "book_snapshot"
        assert snapshot["bids"] == [{"price": price_out(inst, 80_000), "qty": size_out(inst, 5)}]
        await rt.submit(PlaceOrder(account, XBT, BUY, "lmt", 1, 80_000))
        await settle(rt, hub)
        snapshot, delta = peer.messages()  # the first order's delta was not sent again
        assert (delta["feed"], delta["seq"], delta["qty"]) == ("book", snapshot["seq"] + 1, size_out(inst, 6))
        await rt.stop()

    asyncio.run(go())


def rebuild(messages: list[dict[str, Any]], symbol: str) -> tuple[dict[float, float], dict[float, float], int]:
    book: tuple[dict[float, float], dict[float, float]] | None = None
    seq = -1
    for m in messages:
        if m.get("product_id") != symbol:
            continue
        if m["feed"] == "book_snapshot":
            book = ({lv["price"]: lv["qty"] for lv in m["bids"]}, {lv["price"]: lv["qty"] for lv in m["asks"]})
            seq = m["seq"]
        elif m["feed"] == "book":
            assert book is not None, "a delta before the snapshot"
            assert m["seq"] == seq + 1, f"seq {m['seq']} after {seq}"
            seq = m["seq"]
            side = book[0] if m["side"] == "buy" else book[1]
            if m["qty"] == 0:
                del side[m["price"]]
            else:
                side[m["price"]] = m["qty"]
    assert book is not None
    return book[0], book[1], seq


ops = st.lists(st.tuples(st.sampled_from(["place", "cross", "cancel", "edit", "subscribe", "commit"]),
                         st.integers(0, 2), st.integers(1, 6), st.booleans()), min_size=10, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_whenever_a_client_subscribes_its_snapshot_and_deltas_rebuild_the_book_and_the_trades(
        program: list[tuple[str, int, int, bool]]) -> None:
    """Commands from three accounts applied in gathered bursts (groups in flight and gathering) and
    subscriptions taken between any two of them: every subscriber's book (snapshot + deltas, seq +1)
    is the engine's, and its trades (snapshot + live) are the engine's, each once."""
    with tempfile.TemporaryDirectory() as d:
        rt = Runtime(seed=1, journal=Journal(str(Path(d) / "j.sqlite")), clock=ManualClock(T0))

        async def go() -> None:
            hub = Hub(rt)
            rt.background.append(hub.run)
            await rt.start()
            accounts = []
            for _ in range(3):
                created = (await rt.submit(CreateAccount(FUNDS))).account_id
                assert created is not None
                accounts.append(created)
            rng = random.Random(len(program))
            peers: list[Peer] = []
            burst: list[asyncio.Future[Any]] = []
            for op, who, size, buy in program:
                account = accounts[who]
                side = BUY if buy else SELL
                if op == "place":
                    price = 80_000 + (-1 if buy else 1) * rng.randrange(1, 6) * 10
                    burst.append(asyncio.ensure_future(rt.submit(PlaceOrder(account, XBT, side, "lmt", size, price))))
                elif op == "cross":
                    burst.append(asyncio.ensure_future(rt.submit(PlaceOrder(account, XBT, side, "ioc", size,
                                                                            80_100 if buy else 79_900))))
                elif op in ("cancel", "edit"):
                    mine = [o for o in rt.exchange.open_orders.values() if o.account_id == account]
                    if mine:
                        o = rng.choice(mine)
                        cmd = (CancelOrder(account, o.order_id) if op == "cancel" else
                               EditOrder(account, o.order_id, quantity=size, limit_price=o.price - 10))
                        burst.append(asyncio.ensure_future(rt.submit(cmd)))
                elif op == "subscribe":
                    await asyncio.sleep(0)  # (let the burst apply: groups in flight and gathering)
                    peer = Peer()
                    hub.attach(peer)
                    hub.subscribe(peer, ("book", XBT))
                    hub.subscribe(peer, ("trade", XBT))
                    hub.flush()
                    peers.append(peer)
                else:
                    await asyncio.gather(*burst)
                    burst.clear()
            await asyncio.gather(*burst)
            await settle(rt, hub)
            book = rt.exchange.book(XBT)
            inst = rt.exchange.instruments[XBT]
            bids = {price_out(inst, p): size_out(inst, q) for p, q in book.bids.depth()}
            asks = {price_out(inst, p): size_out(inst, q) for p, q in book.asks.depth()}
            trades = [t.trade_id for t in rt.exchange.market_data.trades[XBT]]
            for peer in peers:
                messages = peer.messages()
                assert rebuild(messages, XBT) == (bids, asks, book.seq)
                snapshot = next(m for m in messages if m["feed"] == "trade_snapshot")
                live = [m["uid"] for m in messages if m["feed"] == "trade"]
                got = [t["uid"] for t in reversed(snapshot["trades"])] + live
                assert got == trades[len(trades) - len(got):]  # the latest trades, each once, in order
                assert len(snapshot["trades"]) == min(100, len(trades) - len(live))
            await rt.stop()

        asyncio.run(go())


def test_one_serialisation_for_every_subscriber(tmp_path: Path) -> None:
    rt = Runtime(seed=1, journal=None, clock=ManualClock(T0))
    hub = Hub(rt)
    peers = [Peer() for _ in range(50)]
    for p in peers:
        hub.attach(p)
        hub.subscribe(p, ("book", XBT))
    hub.flush()
    account = rt.exchange.apply(CreateAccount(FUNDS), T0).account_id
    assert account is not None
    res, _ = rt.apply_now(PlaceOrder(account, XBT, BUY, "lmt", 1, 80_000))
    hub.handle(hub.feed.get_nowait())
    assert len({id(p.written[-1]) for p in peers}) == 1  # the same bytes object for all fifty
    assert peers[0].messages()[-1]["feed"] == "book"


def test_a_hub_cut_off_by_the_bus_closes_every_connection_and_starts_again(tmp_path: Path) -> None:
    rt = Runtime(seed=1, journal=None, clock=ManualClock(T0))
    hub = Hub(rt)
    hub.feed.limit = 5
    peer = Peer()
    hub.attach(peer)
    hub.subscribe(peer, ("book", XBT))
    account = rt.exchange.apply(CreateAccount(FUNDS), T0).account_id
    assert account is not None
    for i in range(3):  # nine events: past the limit, the hub's queue is dropped
        rt.apply_now(PlaceOrder(account, XBT, BUY, "lmt", 1, 80_000 + i))

    async def go() -> None:
        task = asyncio.ensure_future(hub.run())
        await asyncio.sleep(0.05)
        assert peer.dropped == 1011 and peer.subs == {} and hub.channels == {}
        assert hub.position == rt.bus.published  # from here on
        task.cancel()

    asyncio.run(go())
