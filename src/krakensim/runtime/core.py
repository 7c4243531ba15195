"""The runtime: one exchange, its keys, its journal, its clock and its event bus.

Commands are applied to the engine in arrival order on the event loop (one thread), then
appended to the journal. A single writer commits whatever commands arrived together in
one transaction (group commit) and only then releases their responses and publishes their
events, so nothing a client is told has happened can be lost by a crash. Reads wait for the
group in flight too, so a client never sees state that is not yet durable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec

from ..engine import Exchange, Result, default_instruments
from ..engine.commands import Command, CommandCodec, Tick
from ..engine.events import Event
from ..engine.instruments import FixedSeries, Instrument, default_series
from ..engine.retention import Retention
from ..store.integrity import WHAT_TO_DO, JournalError
from ..store.journal import Journal
from . import snapshots
from .bus import EventBus
from .clock import ManualClock, WallClock
from .faults import FaultPlan
from .keys import AddApiKey, KeyStore
from .rate_limits import RateLimiter
from .reset import ResetState
from .settings import SetVenueSetting, apply_setting, reset_settings, restore_settings

# Snapshot cadence (docs/journal.md): a restart after a crash replays what was applied since the latest
# snapshot, and replaying a command costs about what applying it did, so the runtime adds up the time
# spent applying journaled commands and takes a snapshot once it reaches REPLAY_BUDGET_S, whatever the
# commands are (the market's are far heavier than a user's cancel). Checked every SNAPSHOT_CHECK_S; a
# snapshot starts no sooner than SNAPSHOT_MIN_GAP_S, nor than the previous one took, after the previous
# one (the forked child pickles at most half the time however big the state).
REPLAY_BUDGET_S = 2.0
SNAPSHOT_CHECK_S = 1.0
SNAPSHOT_MIN_GAP_S = 5.0
SNAPSHOT_RETRY_S = 60.0  # after a failed snapshot (it costs only replay time)
SNAPSHOT_TAG = snapshots.code_tag()
CODEC = CommandCodec(extra=(AddApiKey, ResetState, SetVenueSetting))
RUNTIME_COMMANDS = (AddApiKey, ResetState, SetVenueSetting)  # applied by the runtime, journaled even without events
NOT_STATE = (ResetState, SetVenueSetting)  # journaled, but never part of a state file (runtime/resets.py)

Stamp = tuple[str, int]  # (API key, nonce) that authorised a command: journaled with it
MAX_MARKET_STEP_MS = 3_600_000  # a market step covers at most an hour (the agents' rates scale with it)


class _StampFields(msgspec.Struct):
    k: str | None = None
    n: int | None = None


_STAMP = msgspec.json.Decoder(_StampFields)


def encode(command: Command, stamp: Stamp | None) -> bytes:
    """The journal body of ``command``: its JSON, with the key and nonce that authorised it
    (``"k"`` and ``"n"`` beside the command's own keys, as krakensim has always written them)."""
    body = CODEC.encode(command)
    if stamp is None:
        return body
    if isinstance(command, AddApiKey):  # its own "k" is the key it adds: it is never stamped
        raise ValueError("a key command carries no stamp")
    return b'%s,"k":%s,"n":%d}' % (body[:-1], msgspec.json.encode(stamp[0]), stamp[1])


def stamp_of(body: bytes) -> Stamp | None:
    fields = _STAMP.decode(body)
    return None if fields.k is None or fields.n is None else (fields.k, fields.n)


class GroupFuture(asyncio.Future[None]):
    """Resolves when a group is durable. Many requests wait on it: none may cancel it for the others.

    ``cancel`` refuses, so a cancelled waiter (a client gone, a shut-down) is cancelled only once the
    group is durable, and the writer never finds its group cancelled. (Cheaper than ``asyncio.shield``
    around every wait: one object per group instead of one more future per request.)"""

    def cancel(self, msg: Any = None) -> bool:
        return False


def _fail(future: asyncio.Future[None], e: BaseException) -> None:
    if not future.done():
        future.set_exception(e)
        future.exception()  # retrieved: nobody may be waiting for it, and that is no error


class _Group:
    __slots__ = ("records", "events", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.records: list[bytes] = []
        self.events: list[Event] = []
        self.future: asyncio.Future[None] = GroupFuture(loop=loop)


class Runtime:
    def __init__(
        self,
        seed: int = 0,
        journal: Journal | None = None,
        clock: Any = None,
        instruments: dict[str, Instrument] | None = None,
        exit_on_fatal: bool = False,
        series: tuple[FixedSeries, ...] | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.exit_on_fatal = exit_on_fatal
        self.seed = seed
        self.clock = clock or WallClock()
        # what a new exchange is made of: at the start, and again by every ResetState
        self._config = (instruments or default_instruments(), seed,
                        default_series() if series is None else series, retention)
        self.exchange = Exchange(*self._config)
        self.keys = KeyStore()
        self.bus = EventBus()
        self.journal = journal
        self.seq = journal.seq if journal else 0
        self._group: _Group | None = None
        self._inflight: _Group | None = None
        self._writer: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._timer: asyncio.Task[None] | None = None
        self._started = False
        self._stopped = False
        # coroutine factories started with the server (the simulated market)
        self.background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        # a simulated market stepped by a manual clock: the time of its next step, and the step
        self.market_next: int | None = None
        self.market_step: Callable[[int], Coroutine[Any, Any, None]] | None = None
        # during an ``advance(…, market_step_ms=…)``: the market's step instead of its interval (a fast-forward)
        self.market_step_ms: int | None = None
        self.fatal: BaseException | None = None
        self.committed_at = 0.0  # perf_counter when the group being published was durable (latency figures)
        self.snapshot_seq = 0  # the command the latest snapshot was taken after
        self.unsnapshotted_s = 0.0  # seconds spent applying the journaled commands after it (≈ their replay)
        self.snapshots_taken = 0  # by the snapshot loop of this process
        # without a journal: the commands since the last reset, (time, JSON), for a state file (runtime/reset.py)
        self.log: list[tuple[int, bytes]] | None = [] if journal is None else None
        # what a reset does after its ResetState and first Tick (the composition root's accounts, the market)
        self.on_reset: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.faults = FaultPlan(seed)  # faults on purpose (the control API, the configuration, the plugin)
        self.drop_websockets: Callable[[], int] = lambda: 0  # closes every WebSocket connection (the hub's)
        self.limiter = RateLimiter()  # Kraken's rate limits, when enabled (per server, per test)
        self.market_on = False  # the simulated market runs (the composition root says so)
        self.market_paused = False  # its steps are skipped (POST /_krakensim/v1/market {"running": false})
        self.clock_origin: int | None = None  # where a manual clock goes back to on a reset (its configured start)
        self.overrides: dict[str, Any] = {}  # the settings changed through the control API (runtime/settings.py)
        # a snapshot is loaded only by the same code with the same instruments, series and seed
        ex = self.exchange
        config = repr((sorted(ex.instruments.items()), ex.maturities.series, seed, ex.retention)).encode()
        self.snapshot_tag = SNAPSHOT_TAG + hashlib.sha256(config).hexdigest()[:16]

    # ------------------------------------------------------------------ replay
    def replay(self, use_snapshot: bool = True) -> int:
        """Load the latest snapshot (if any) and re-apply the journaled commands after it; returns how many.

        ``JournalError`` (naming the seq) when a journaled command cannot be read or applied."""
        if self.journal is None:
            return 0
        after = 0
        snap = self.journal.latest_snapshot(self.snapshot_tag) if use_snapshot else None
        if self.journal.snapshot_problem is not None:
            print(f"krakensim: {self.journal.snapshot_problem}; replaying the whole journal", file=sys.stderr)
        if snap is not None:
            try:
                exchange, keys, overrides = snapshots.load_state(snap[1])
            except Exception as e:  # noqa: BLE001 - a snapshot only saves time: replay everything instead
                print(f"krakensim: snapshot unreadable ({e!r}); replaying the whole journal", file=sys.stderr)
            else:
                self.exchange, self.keys, after = exchange, keys, snap[0]
                restore_settings(self, overrides)
        self.snapshot_seq = after
        n = 0
        started = time.perf_counter()
        for seq, ts, body in self.journal.replay(after):
            try:
                command = CODEC.decode(body)
            except (msgspec.DecodeError, msgspec.ValidationError) as e:
                raise JournalError(f"journal {self.journal.path}: command {seq} is not one this krakensim knows "
                                   f"({e}). " + WHAT_TO_DO.format(path=self.journal.path)) from None
            try:
                self._apply(command, ts, stamp_of(body))
            except Exception as e:  # noqa: BLE001 - named with its seq instead of a bare traceback
                raise JournalError(f"journal {self.journal.path}: replaying command {seq} failed ({e!r}); it was "
                                   "written by another version of krakensim, or this is a bug. "
                                   + WHAT_TO_DO.format(path=self.journal.path)) from e
            n += 1
        self.unsnapshotted_s = time.perf_counter() - started  # what a crash now would replay again
        return n

    def snapshot_sync(self) -> None:
        """Write a snapshot now (start-up and shut-down: nothing is in flight)."""
        if self.journal is not None and self.seq > self.snapshot_seq:
            self.journal.write_snapshot(self.seq, self.snapshot_tag, snapshots.dump(self._state()))
            self.snapshot_seq = self.seq
            self.unsnapshotted_s = 0.0

    async def snapshot(self) -> None:
        """Write a snapshot of the state after the last applied command, once that command is durable."""
        if self.journal is None or self._pool is None:
            return
        seq, covered = self.seq, self.unsnapshotted_s
        blob = await snapshots.dump_when_durable(self._state(), self.journal.path, self.barrier)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self.journal.write_snapshot, seq, self.snapshot_tag, blob)
        self.snapshot_seq = seq
        self.unsnapshotted_s = max(0.0, self.unsnapshotted_s - covered)  # what was applied meanwhile remains

    async def _snapshot_loop(self) -> None:
        loop = asyncio.get_running_loop()
        not_before = 0.0
        while True:
            await asyncio.sleep(SNAPSHOT_CHECK_S)
            if self.unsnapshotted_s < REPLAY_BUDGET_S or self.fatal is not None or loop.time() < not_before:
                continue
            started = loop.time()
            try:
                await self.snapshot()
            except Exception as e:  # noqa: BLE001 - a failed snapshot costs only replay time
                print(f"krakensim: snapshot failed ({e!r})", file=sys.stderr)
                not_before = loop.time() + SNAPSHOT_RETRY_S
            else:
                self.snapshots_taken += 1
                not_before = loop.time() + max(SNAPSHOT_MIN_GAP_S, loop.time() - started)

    def _state(self) -> tuple[Exchange, KeyStore, dict[str, Any]]:
        """What a snapshot holds: the exchange, the keys, the settings changed through the control API."""
        return self.exchange, self.keys, dict(self.overrides)

    def _apply(self, command: Command, now: int, stamp: Stamp | None) -> Result:
        if stamp is not None:
            key = self.keys.keys.get(stamp[0])
            if key is not None:
                key.nonces.accept(stamp[1])
        if isinstance(command, AddApiKey):
            self.keys.add(command.api_key, command.secret, command.account_id, command.access)
            return Result("created")
        if isinstance(command, SetVenueSetting):
            apply_setting(self, command.name, command.value)
            return Result("set")
        if isinstance(command, ResetState):
            self.exchange, self.keys = Exchange(*self._config), KeyStore()
            reset_settings(self)
            if self.log is not None:
                self.log.clear()
            return Result("reset")
        return self.exchange.apply(command, now)

    def fresh(self) -> Runtime:
        """A runtime of the same configuration with a new exchange, no journal and no clock of its own
        (a state file is tried on it before it is loaded)."""
        return Runtime(self.seed, None, self.clock, self._config[0], False, self._config[2], self._config[3])

    # ------------------------------------------------------------------ commands
    def apply_now(self, command: Command, stamp: Stamp | None = None) -> tuple[Result, asyncio.Future[None] | None]:
        """Apply ``command`` at the current time; the future resolves when it is durable."""
        if self.fatal is not None:
            raise RuntimeError("the journal failed; nothing more is accepted") from self.fatal
        now = self.clock()
        # serialised before it is applied: a command the journal could not hold changes nothing
        body = encode(command, stamp) if self.journal is not None or self.log is not None else b""
        started = time.perf_counter()
        res = self._apply(command, now, stamp)
        took = time.perf_counter() - started
        if not res.events and not isinstance(command, RUNTIME_COMMANDS):
            # it changed nothing: nothing to keep; but the answer must not run ahead of what it observed
            g = self._group if self._group is not None and self._group.records else self._inflight
            return res, (None if g is None else g.future)
        if self.journal is None:
            self.committed_at = time.perf_counter()
            if self.log is not None and not isinstance(command, NOT_STATE):
                self.log.append((now, body))
            self.bus.publish(res.events)
            return res, None
        self.seq += 1
        self.unsnapshotted_s += took
        g = self._group
        if g is None:
            g = self._group = _Group(asyncio.get_running_loop())
        g.records.append(Journal.frame(self.seq, now, body))
        g.events += res.events
        if self._inflight is None and self._wake is not None:
            self._wake.set()
        return res, g.future

    async def submit(self, command: Command, stamp: Stamp | None = None) -> Result:
        res, fut = self.apply_now(command, stamp)
        if fut is not None:
            await fut  # (a GroupFuture: shared by the group, not cancelled by a cancelled waiter)
        return res

    def submit_sync(self, command: Command) -> Result:
        """Apply and journal immediately (start-up and admin paths, outside the hot path)."""
        now = self.clock()
        body = encode(command, None)
        res = self._apply(command, now, None)
        if res.events or isinstance(command, RUNTIME_COMMANDS):
            if self.journal is not None:
                self.seq += 1
                self.journal.append_many([Journal.frame(self.seq, now, body)])
            elif self.log is not None and not isinstance(command, NOT_STATE):
                self.log.append((now, body))
        self.bus.publish(res.events)
        return res

    def install(self, other: Runtime, records: list[tuple[int, bytes]]) -> asyncio.Future[None] | None:
        """Take ``other``'s exchange and keys, made by applying ``records`` ((time, command JSON) after a reset)
        to a new exchange; journaled as a ``ResetState`` and the same records. The future: when durable."""
        self.exchange, self.keys = other.exchange, other.keys
        reset_settings(self)  # as the journaled ResetState does in a replay
        if self.journal is None:
            if self.log is not None:
                self.log[:] = records
            return None
        g = self._group
        if g is None:
            g = self._group = _Group(asyncio.get_running_loop())
        self.seq += 1
        g.records.append(Journal.frame(self.seq, self.clock(), encode(ResetState(), None)))
        for ts, body in records:
            self.seq += 1
            g.records.append(Journal.frame(self.seq, ts, body))
        if self._inflight is None and self._wake is not None:
            self._wake.set()
        return g.future

    async def on_writer(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (a journal read) on the journal's thread, after the groups being written."""
        if self._pool is None:
            return fn()
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def applied_events(self) -> int:
        """The state's position in the event stream: every event the bus has published, plus those of the
        groups not yet committed (the one in flight, the one gathering), which it will publish next, in
        this order. A reader that takes the state now and skips the bus's events up to this count sees
        each event once; what it took is durable once the bus has published that many."""
        n = self.bus.published
        if self._inflight is not None:
            n += len(self._inflight.events)
        if self._group is not None:
            n += len(self._group.events)
        return n

    async def barrier(self) -> None:
        """Wait until every command applied so far is durable."""
        if self.fatal is not None:
            raise RuntimeError("the journal failed") from self.fatal
        g = self._group if self._group is not None and self._group.records else self._inflight
        if g is not None:
            await g.future  # a GroupFuture: waiting here never cancels it

    # ------------------------------------------------------------------ writer
    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        if not isinstance(self.clock, ManualClock):  # wall or scaled: fire deadlines on a timer
            self._timer = asyncio.create_task(self._timer_loop())
        self._tasks = [asyncio.create_task(f()) for f in self.background]
        if self.journal is None:
            return
        self._wake = asyncio.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="journal")
        self._writer = asyncio.create_task(self._write_loop())
        self._tasks.append(asyncio.create_task(self._snapshot_loop()))

    async def due(self) -> bool:
        """Apply a ``Tick`` when something falls due without a command (dead man's switch)."""
        deadline = self.exchange.next_deadline()
        if deadline is not None and self.clock() >= deadline:
            await self.submit(Tick())
            return True
        return False

    async def advance(self, ms: int, market_step_ms: int | None = None) -> int:
        """Move a manual clock forward, firing what falls due on the way (in order); ``market_step_ms``:
        the simulated market steps this often meanwhile (a coarser step simulates a long span faster)."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("the clock is not manual")
        self.market_step_ms = market_step_ms
        try:
            return await self._advance_to(clock, clock.now + ms)
        finally:
            self.market_step_ms = None

    async def _advance_to(self, clock: ManualClock, target: int) -> int:
        while True:
            deadline = self.exchange.next_deadline()
            step = self.market_next
            nxt = min(t for t in (deadline, step, target + 1) if t is not None)
            if nxt > target:
                break
            clock.now = max(clock.now, nxt)
            if deadline is not None and deadline <= clock.now:
                await self.submit(Tick())
            if step is not None and step <= clock.now and self.market_step is not None:
                await self.market_step(clock.now)
        clock.now = target
        await self.submit(Tick())
        return target

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(0.02)
            try:
                await self.due()
            except Exception:  # noqa: BLE001 - keep the timer alive; the failure is logged by the journal path
                if self.fatal is not None:
                    raise

    async def _write_loop(self) -> None:
        assert self._wake is not None and self.journal is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._group is not None and self._group.records:
                g = self._inflight = self._group
                self._group = None
                try:
                    committed = await loop.run_in_executor(self._pool, self._commit, g.records)
                except BaseException as e:  # the disk failed: memory is ahead of the journal
                    self.fatal = e
                    _fail(g.future, e)
                    waiting = self._gathering()  # (the next group gathered while this one was written)
                    if waiting is not None:
                        _fail(waiting.future, e)
                    if self.exit_on_fatal:
                        # nothing unjournaled may be answered or kept: stop, and let a restart replay
                        print(f"krakensim: journal write failed ({e!r}); exiting", file=sys.stderr, flush=True)
                        os._exit(75)
                    raise
                finally:
                    self._inflight = None
                if not g.future.done():  # (nothing can cancel it, but a done future must never stop the writer)
                    g.future.set_result(None)
                self.committed_at = committed
                self.bus.publish(g.events)  # durable now: subscribers may see it

    def _commit(self, records: list[bytes]) -> float:
        """Write one group (on the writer thread); when its transaction was durable (``perf_counter``)."""
        assert self.journal is not None
        self.journal.append_many(records)
        return time.perf_counter()

    def _gathering(self) -> _Group | None:
        return self._group

    async def stop(self, final_snapshot: bool = True) -> None:
        """Stop the timer and the background tasks, drain the groups, write the final snapshot (unless
        told not to: tests that want a start to replay), close."""
        if self._stopped:
            return
        self._stopped = True
        tasks = [t for t in (self._timer, *self._tasks) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # each ends (and reaps its children) first
        if self._writer is not None:
            assert self._wake is not None
            while self.fatal is None and (self._inflight is not None or (self._group and self._group.records)):
                self._wake.set()
                await asyncio.sleep(0.001)
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self.journal is not None:
            if self.fatal is None and final_snapshot:
                self.snapshot_sync()  # the next start replays nothing
            self.journal.close()
