"""The fan-out: the runtime's committed events to every WebSocket subscriber, in apply order.

One subscription to the event bus feeds every connection. Each event is turned into the
messages it causes (a ``book`` delta, a ``trade``, an ``open_orders`` update, a ``fills``
entry…), each message serialised and framed once and the same bytes appended to the output of
every connection subscribed to it; at the end of each committed group every connection written
to is flushed with one write. Nothing here waits for a connection: a consumer whose unsent bytes
pass its limit is closed (1011) by its connection, never waited for.

Positions in the event stream. ``position`` counts the events the hub has handled (the bus's
count when it subscribed, plus every event since). The engine's state is always at
``Runtime.applied_events()`` ≥ ``position``: commands applied but not yet committed have events
the hub has not seen. What is read from the state (a snapshot on subscribe, a ticker, balances,
positions) is read at once and *sent* only when the hub reaches that position: by then it is
durable, and every event before it has been sent, none after. A subscription starts receiving
events only from there, so its snapshot and its updates neither miss nor double an event.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson

from ..engine import events as ev
from ..engine.exchange import Exchange
from ..runtime.bus import Closed, Overflowed, Subscription
from ..runtime.core import Runtime
from . import frames, private, public
from .feeds import HEARTBEAT, ORDER_FEEDS, PRODUCT_FEEDS, STATE_FEEDS, TICKER_FEEDS
from .frames import message
from .routing import Router

BUS_LIMIT = 1_000_000  # events the hub may fall behind the bus before every connection is cut off
HEARTBEAT_MS = 5_000  # exchange time between heartbeats (the spec leaves it open)
TICK_S = 0.25  # the periodic work's cadence (heartbeats)
THROTTLE_S = 1.0  # tickers, and positions and balances moved by the mark: at most once a second
FLUSH_RATE = 40.0  # flushes a second under sustained load (each: one write per connection written to)
FLUSH_BURST = 10  # flushes allowed back to back after a quiet spell
WRITE_SHARE = 0.25  # of the time, what the fan-out's writes may take under sustained load
WRITE_BURST_S = 0.05  # seconds of writing allowed back to back after a quiet spell
LATENCY_SAMPLES = 200_000  # commit → socket write samples kept when measuring

Key = tuple[str, str]  # (feed, product id | account id | "")
Message = dict[str, Any]


class Peer(Protocol):
    """A connection as the hub sees it: frames are appended to ``out`` and written by ``flush``."""

    out: list[bytes]
    subs: dict[Key, Sub]

    def flush(self) -> None: ...

    def drop(self, code: int, reason: str) -> None: ...


class Sub:
    """One subscription of one connection (per feed and product, or per feed and account)."""

    __slots__ = ("peer", "key", "seq", "products", "cancelled")

    def __init__(self, peer: Peer, key: Key, products: frozenset[str] | None = None) -> None:
        self.peer = peer
        self.key = key
        self.seq = 0  # messages of a numbered feed sent so far (balances, open_positions)
        self.products = products  # fills: only these products (None: all)
        self.cancelled = False


class _Feed(Subscription):
    """The hub's bus subscription: it also notes each committed group's size and when it was durable."""

    __slots__ = ("groups", "rt")

    def __init__(self, bus: Any, limit: int) -> None:
        super().__init__(bus, limit)
        self.groups: deque[tuple[int, float]] = deque()  # (events, perf_counter when it was durable)
        self.rt: Runtime | None = None

    def _deliver(self, events: Sequence[ev.Event]) -> bool:
        if not super()._deliver(events):
            self.groups.clear()
            return False
        self.groups.append((len(events), self.rt.committed_at if self.rt is not None else time.perf_counter()))
        return True


class Stats:
    __slots__ = ("frames", "bytes", "dropped", "latencies", "measure")

    def __init__(self) -> None:
        self.frames = 0  # frames written to sockets
        self.bytes = 0
        self.dropped = 0  # connections closed for falling behind
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)  # seconds, commit → write (oldest group)
        self.measure = False  # keep latencies (bench/ws_fanout.py turns it on)


class Hub:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.channels: dict[Key, dict[Peer, Sub]] = {}
        self.peers: dict[Peer, None] = {}
        self.addresses: dict[str, int] = {}  # open connections per client address (when limits apply)
        self.deferred: deque[tuple[int, Callable[[], None]]] = deque()
        self.dirty_peers: list[Peer] = []
        self.dirty_accounts: set[str] = set()  # accounts whose numbered feeds must be sent again
        self.dirty_tickers: set[str] = set()
        self.state_subs: dict[str, int] = {}  # account → subscriptions of its numbered feeds
        self.rendering: dict[Key, int] = {}  # numbered feed → position its next message is due at
        self.last_state: dict[Key, bytes] = {}  # what the latest message of a numbered feed said
        self.stats = Stats()
        self.flush_tokens = float(FLUSH_BURST)  # flushes the budget allows now
        self.write_budget = WRITE_BURST_S  # seconds of writing the budget allows now
        self.refilled_at = 0.0
        self.flush_timer: asyncio.TimerHandle | None = None
        self.flush_oldest: float | None = None  # when the oldest group waiting for that flush was durable
        self.feed = self._subscribe()
        self.position = rt.bus.published
        self._stop = False
        self.handlers = Router(self).handlers
        self.arriving: set[str] = set()  # orders placed whose arrival is not over (they never rested yet)

    def _subscribe(self) -> _Feed:
        sub = self.rt.bus.subscribe(BUS_LIMIT, _Feed)
        assert isinstance(sub, _Feed)
        sub.rt = self.rt
        return sub

    @property
    def ex(self) -> Exchange:
        return self.rt.exchange

    # ------------------------------------------------------------------ connections and subscriptions
    def attach(self, peer: Peer) -> None:
        self.peers[peer] = None

    def detach(self, peer: Peer) -> None:
        """The connection is gone: its subscriptions end."""
        self.peers.pop(peer, None)
        for key in list(peer.subs):
            self.unsubscribe(peer, key)

    def subscribe(self, peer: Peer, key: Key, products: frozenset[str] | None = None) -> Sub:
        """Start ``key`` for ``peer``: its snapshot is read now and sent, with the updates after it, once
        the hub reaches the state's position (the caller has checked the feed, product or account)."""
        sub = Sub(peer, key, products)
        peer.subs[key] = sub
        feed, name = key
        if feed in STATE_FEEDS:
            self.state_subs[name] = self.state_subs.get(name, 0) + 1
        snapshot = self._snapshot(sub)
        at = self.rt.applied_events()

        def activate() -> None:
            if sub.cancelled:
                return
            self.channels.setdefault(key, {})[peer] = sub
            if snapshot is not None:
                self.push(peer, snapshot)

        self._defer(at, activate)
        return sub

    def unsubscribe(self, peer: Peer, key: Key) -> bool:
        """Stop ``key`` for ``peer``; False when it was not subscribed."""
        sub = peer.subs.pop(key, None)
        if sub is None:
            return False
        sub.cancelled = True
        channel = self.channels.get(key)
        if channel is not None and channel.get(peer) is sub:
            del channel[peer]
            if not channel:
                del self.channels[key]
                self.last_state.pop(key, None)
        feed, name = key
        if feed in STATE_FEEDS:
            left = self.state_subs[name] - 1
            if left:
                self.state_subs[name] = left
            else:
                del self.state_subs[name]
        return True

    def _snapshot(self, sub: Sub) -> bytes | None:
        """The first message of a subscription, read from the state now (None: the heartbeat has none)."""
        feed, name = sub.key
        ex = self.ex
        now = self.rt.clock()
        if feed in PRODUCT_FEEDS:
            inst = ex.instruments[name]
            if feed == "book":
                return message(public.book_snapshot(inst, ex.book(name), now))
            if feed == "trade":
                return message(public.trade_snapshot(inst, ex))
            if feed == "ticker":
                return message(public.ticker(ex, inst, now))
            return message(public.ticker_lite(ex, inst, now))
        if feed == HEARTBEAT:
            return None
        account = ex.accounts[name]
        if feed in ORDER_FEEDS:
            return message(private.open_orders_snapshot(feed, ex, account))
        if feed == "fills":
            return message(private.fills_snapshot(ex, account, sub.products))
        if feed == "account_log":
            return message(private.account_log_snapshot(self.instrument, account))
        if feed == "notifications_auth":
            return message(private.notifications(ex.notifications.kept))
        if feed == "deposits_withdrawals":
            return message(private.deposits_withdrawals())
        body = (private.balances(ex, account, now, snapshot=True) if feed == "balances"
                else self._state_body(feed, name, now))
        return self._numbered(sub, orjson.dumps(body)[:-1])

    def instrument(self, symbol: str) -> Any:
        return self.ex.instruments[symbol]

    # ------------------------------------------------------------------ output
    def push(self, peer: Peer, frame: bytes) -> None:
        out = peer.out
        if not out:
            self.dirty_peers.append(peer)
        out.append(frame)

    def fan(self, subs: dict[Peer, Sub], frame: bytes) -> None:
        """The same frame to every subscriber (the hot path: one append per connection)."""
        dirty = self.dirty_peers
        for peer in subs:
            out = peer.out
            if not out:
                dirty.append(peer)
            out.append(frame)

    def flush(self, published: float | None = None) -> None:
        """Write what each connection has waiting (one write each). ``published``: when the group
        these messages come from was committed (for the commit → write latency)."""
        peers = self.dirty_peers
        if not peers:
            return
        self.dirty_peers = []
        stats = self.stats
        measure = stats.measure and published is not None
        samples = stats.latencies
        frames_n = bytes_n = 0
        for peer in peers:
            out = peer.out
            frames_n += len(out)
            if measure:
                bytes_n += sum(map(len, out))
            peer.flush()
            if measure:
                samples.append(time.perf_counter() - published)  # type: ignore[operator]
        stats.frames += frames_n
        stats.bytes += bytes_n

    def _defer(self, at: int, action: Callable[[], None]) -> None:
        """Run ``action`` once the hub has handled ``at`` events (now, if it has)."""
        if at <= self.position:
            action()
        else:
            self.deferred.append((at, action))

    # ------------------------------------------------------------------ the event loop's side
    async def run(self) -> None:
        """Handle each committed group's events as they are published; the periodic work beside it."""
        periodic = asyncio.create_task(self._periodic())
        try:
            while True:
                try:
                    events = await self.feed.get()
                except Overflowed:
                    self._fell_behind()
                    continue
                except Closed:
                    return
                self.handle(events)
        finally:
            periodic.cancel()

    def handle(self, events: Sequence[ev.Event]) -> None:
        """Every event of the groups published since the last call, group by group; then one write per
        connection for all of them (under load several groups come at once: fewer, larger writes)."""
        handlers = self.handlers
        deferred = self.deferred
        groups = self.feed.groups
        oldest = groups[0][1] if groups else None
        i = 0
        while groups:
            n = groups.popleft()[0]
            for e in events[i:i + n]:
                handler = handlers.get(type(e))
                if handler is not None:
                    handler(e)
                self.position += 1
                while deferred and deferred[0][0] <= self.position:
                    deferred.popleft()[1]()
            i += n
            self._end_group()
        self._flush_soon(oldest)

    def _flush_soon(self, oldest: float | None) -> None:
        """Flush now, or as soon as the fan-out's budget allows, with whatever has come meanwhile.

        Two buckets: flushes (``FLUSH_BURST`` back to back, refilled at ``FLUSH_RATE`` a second) and the
        time spent writing (``WRITE_BURST_S``, refilled at ``WRITE_SHARE`` of the time). Sparse groups (the
        market's steps) are written at once; a stream of small groups (REST commands; in memory mode each
        is its own group) costs a connection at most ``FLUSH_RATE`` writes a second, and however many
        connections there are the writes take at most about ``WRITE_SHARE`` of the server's time."""
        if oldest is not None and (self.flush_oldest is None or oldest < self.flush_oldest):
            self.flush_oldest = oldest
        if self.flush_timer is not None:
            return
        self._refill(time.perf_counter())
        wait = max((1 - self.flush_tokens) / FLUSH_RATE, -self.write_budget / WRITE_SHARE)
        if wait <= 0:
            self._timed_flush()
        else:
            self.flush_timer = asyncio.get_running_loop().call_later(wait, self._timed_flush)

    def _refill(self, now: float) -> None:
        elapsed = now - self.refilled_at
        self.flush_tokens = min(FLUSH_BURST, self.flush_tokens + elapsed * FLUSH_RATE)
        self.write_budget = min(WRITE_BURST_S, self.write_budget + elapsed * WRITE_SHARE)
        self.refilled_at = now

    def _timed_flush(self) -> None:
        self.flush_timer = None
        oldest, self.flush_oldest = self.flush_oldest, None
        started = time.perf_counter()
        self._refill(started)
        self.flush(oldest)
        self.flush_tokens -= 1
        self.write_budget -= time.perf_counter() - started

    def _fell_behind(self) -> None:
        """The bus cut the hub off (it fell a million events behind): every connection is closed, as
        any that falls behind; clients re-subscribe and start again from snapshots."""
        for peer in list(self.peers):
            peer.drop(1011, "the server fell behind")
            self.detach(peer)
        self.deferred.clear()
        self.rendering.clear()
        self.feed = self._subscribe()
        self.position = self.rt.bus.published

    def _end_group(self) -> None:
        """The numbered feeds of the accounts the group touched, read from the state now. (An order's
        arrival is one command's, and a command's events are all in one group: none is arriving now.)"""
        self.arriving.clear()
        if self.dirty_accounts:
            accounts, self.dirty_accounts = self.dirty_accounts, set()
            for account in accounts:
                for feed in STATE_FEEDS:
                    self._render_state((feed, account), always=True)

    def _render_state(self, key: Key, always: bool) -> None:
        """Read a numbered feed's message from the state now; send it when the hub reaches the state's
        position (unless one already on its way covers as much, or, when not ``always``, it says
        nothing new)."""
        if key not in self.channels:
            return
        due = self.rendering.get(key)
        if due is not None and due >= self.position:
            return  # the message on its way reads a state at least as late
        feed, account = key
        body = self._state_body(feed, account, self.rt.clock())
        said = orjson.dumps(body["flex_futures"] if feed == "balances" else
                            body["positions"] if feed == "open_positions" else body["margin_accounts"])
        if not always and said == self.last_state.get(key):
            return
        self.last_state[key] = said
        prefix = orjson.dumps(body)[:-1]
        at = self.rt.applied_events()
        self.rendering[key] = at

        def send() -> None:
            if self.rendering.get(key) == at:
                del self.rendering[key]
            for sub in self.channels.get(key, {}).values():
                self.push(sub.peer, self._numbered(sub, prefix))

        self._defer(at, send)

    def _state_body(self, feed: str, account_id: str, now: int) -> Message:
        ex = self.ex
        account = ex.accounts[account_id]
        if feed == "open_positions":
            return private.positions(ex, account, now)
        if feed == "balances":
            return private.balances(ex, account, now, snapshot=False)
        return private.margins(ex, account)

    @staticmethod
    def _numbered(sub: Sub, prefix: bytes) -> bytes:
        """A numbered feed's message: the body without its closing brace, then this subscription's seq."""
        frame = frames.text(prefix + b',"seq":%d}' % sub.seq)
        sub.seq += 1
        return frame

    async def _periodic(self) -> None:
        """Heartbeats; tickers at most once a second per product when something changed; positions and
        balances that the mark moved, at most once a second per account."""
        last_beat = self.rt.clock() // HEARTBEAT_MS
        last_beat_real = last_throttled = time.monotonic()
        while not self._stop:
            await asyncio.sleep(TICK_S)
            real = time.monotonic()
            now = self.rt.clock()
            beat = now // HEARTBEAT_MS
            if beat > last_beat or real - last_beat_real >= HEARTBEAT_MS / 1000:
                last_beat, last_beat_real = beat, real
                subs = self.channels.get((HEARTBEAT, ""))
                if subs:
                    self.fan(subs, message(public.heartbeat(now)))
            if real - last_throttled >= THROTTLE_S:
                last_throttled = real
                self._tickers(now)
                accounts = self.ex.accounts
                for key in [k for k in self.channels if k[0] in STATE_FEEDS]:
                    account = accounts.get(key[1])
                    if account is not None and any(p.lots for p in account.positions.values()):
                        self._render_state(key, always=False)  # (without a position the mark moves nothing)
            self.flush()

    def _tickers(self, now: int) -> None:
        dirty, self.dirty_tickers = self.dirty_tickers, set()
        ex = self.ex
        for symbol in dirty:
            inst = ex.listed.get(symbol)
            if inst is None:
                continue
            for feed in TICKER_FEEDS:
                key = (feed, symbol)
                if key not in self.channels:
                    continue
                body = public.ticker(ex, inst, now) if feed == "ticker" else public.ticker_lite(ex, inst, now)
                frame = message(body)

                def send(key: Key = key, frame: bytes = frame) -> None:
                    subs = self.channels.get(key)
                    if subs:
                        self.fan(subs, frame)

                self._defer(self.rt.applied_events(), send)
