"""The runtime: one exchange, its keys, its journal and its clock.

Commands are applied to the engine in arrival order on the event loop (one thread), then
appended to the journal. A single writer commits whatever commands arrived together in
one transaction (group commit) and only then releases their responses, so nothing a client
is told has happened can be lost by a crash. Reads wait for the group in flight too, so a
client never sees state that is not yet durable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import hashlib
import os
import pickle
import sys
import zlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ..api.auth import FULL, KeyStore
from ..engine import Exchange, Result, default_instruments
from ..engine.instruments import FixedSeries, Instrument, default_series
from ..store.journal import Journal
from .clock import ManualClock, WallClock

SNAPSHOT_EVERY = 1_000_000  # journaled commands between snapshots while running
SNAPSHOT_AFTER_REPLAY = 100_000  # a start that replayed more than this writes one at once


def _code_tag() -> str:
    """A hash of krakensim's source: a snapshot is only loaded by the code that wrote it."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:32]


SNAPSHOT_TAG = _code_tag()


class _Group:
    __slots__ = ("records", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.records: list[bytes] = []
        self.future: asyncio.Future[None] = loop.create_future()


class Runtime:
    def __init__(
        self,
        seed: int = 0,
        journal: Journal | None = None,
        clock: Any = None,
        instruments: dict[str, Instrument] | None = None,
        exit_on_fatal: bool = False,
        series: tuple[FixedSeries, ...] | None = None,
    ) -> None:
        self.exit_on_fatal = exit_on_fatal
        self.seed = seed
        self.clock = clock or WallClock()
        self.exchange = Exchange(
            instruments or default_instruments(), seed, default_series() if series is None else series
        )
        self.keys = KeyStore()
        self.journal = journal
        self.seq = journal.seq if journal else 0
        self._group: _Group | None = None
        self._inflight: _Group | None = None
        self._writer: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._timer: asyncio.Task[None] | None = None
        self._started = False
        # coroutine factories started with the server (the simulated market)
        self.background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        # a simulated market stepped by a manual clock: the time of its next step, and the step
        self.market_next: int | None = None
        self.market_step: Callable[[int], Coroutine[Any, Any, None]] | None = None
        self.fatal: BaseException | None = None
        self.snapshot_seq = 0  # the command the latest snapshot was taken after
        # a snapshot is loaded only by the same code with the same instruments, series and seed
        ex = self.exchange
        config = repr((sorted(ex.instruments.items()), ex.series, seed)).encode()
        self.snapshot_tag = SNAPSHOT_TAG + hashlib.sha256(config).hexdigest()[:16]

    # ------------------------------------------------------------------ replay
    def replay(self, use_snapshot: bool = True) -> int:
        """Load the latest snapshot (if any) and re-apply the journaled commands after it; returns how many."""
        if self.journal is None:
            return 0
        after = 0
        snap = self.journal.latest_snapshot(self.snapshot_tag) if use_snapshot else None
        if snap is not None:
            try:
                exchange, keys = pickle.loads(zlib.decompress(snap[1]))
            except Exception as e:  # noqa: BLE001 - a snapshot only saves time: replay everything instead
                print(f"krakensim: snapshot unreadable ({e!r}); replaying the whole journal", file=sys.stderr)
            else:
                self.exchange, self.keys, after = exchange, keys, snap[0]
        self.snapshot_seq = after
        n = 0
        for _seq, ts, cmd in self.journal.replay(after):
            self._apply(cmd, ts)
            n += 1
        return n

    def _state(self) -> bytes:
        """The whole state, pickled (the exchange and the keys with their nonces)."""
        return pickle.dumps((self.exchange, self.keys), protocol=pickle.HIGHEST_PROTOCOL)

    def snapshot_sync(self) -> None:
        """Write a snapshot now (start-up and shut-down: nothing is in flight)."""
        if self.journal is not None and self.seq > self.snapshot_seq:
            self.journal.write_snapshot(self.seq, self.snapshot_tag, zlib.compress(self._state(), 1))
            self.snapshot_seq = self.seq

    async def snapshot(self) -> None:
        """Write a snapshot of the state after the last applied command, once that command is durable.

        Pickling a large state takes seconds, so a forked child does it from a copy-on-write
        image while the server goes on; the child writes the snapshot to a file only when the
        parent says that every command in it is durable, and the parent's writer thread moves
        it into the journal. Without ``fork`` the snapshot is taken here.
        """
        if self.journal is None or self._pool is None:
            return
        seq = self.seq
        loop = asyncio.get_running_loop()
        if not hasattr(os, "fork"):
            state = self._state()  # no await in between: the state is exactly commands 1..seq
            await self.barrier()
            blob = await loop.run_in_executor(None, zlib.compress, state, 1)
        else:
            tmp = f"{self.journal.path}.snapshot-{seq}"
            r, w = os.pipe()
            gc.freeze()  # the collector must not touch (and so copy) every page in the child
            try:
                pid = os.fork()
            finally:
                gc.unfreeze()
            if pid == 0:  # the child: pickle, wait for the word, write, and leave without cleaning up
                code = 1
                try:
                    os.close(w)
                    data = zlib.compress(self._state(), 1)
                    if os.read(r, 1) == b"1":
                        with open(tmp, "wb") as f:
                            f.write(data)
                        code = 0
                finally:
                    os._exit(code)
            os.close(r)
            status = -1
            try:
                try:
                    await self.barrier()
                    os.write(w, b"1")
                finally:
                    os.close(w)  # without the word the child leaves without writing
                    _, status = await asyncio.shield(loop.run_in_executor(None, os.waitpid, pid, 0))
                if status != 0:
                    raise RuntimeError(f"the snapshot child failed (status {status})")
                with open(tmp, "rb") as f:
                    blob = f.read()
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        await loop.run_in_executor(self._pool, self.journal.write_snapshot, seq, self.snapshot_tag, blob)
        self.snapshot_seq = seq

    async def _snapshot_loop(self) -> None:
        while True:
            await asyncio.sleep(5)
            if self.seq - self.snapshot_seq >= SNAPSHOT_EVERY and self.fatal is None:
                try:
                    await self.snapshot()
                except Exception as e:  # noqa: BLE001 - a failed snapshot costs only replay time
                    print(f"krakensim: snapshot failed ({e!r})", file=sys.stderr)
                    self.snapshot_seq = self.seq  # try again a million commands later, not every 5 s

    def _apply(self, cmd: dict[str, Any], now: int) -> Result:
        c = cmd["c"]
        if c == "key":
            self.keys.add(cmd["k"], cmd["s"], cmd["a"], cmd.get("x", FULL))
            return Result("created")
        nonce = cmd.get("n")
        if nonce is not None:
            k = self.keys.keys.get(cmd["k"])
            if k is not None:
                k.nonces.accept(nonce)
        return self.exchange.execute(cmd, now)

    # ------------------------------------------------------------------ commands
    def apply_now(self, cmd: dict[str, Any]) -> tuple[Result, asyncio.Future[None] | None]:
        """Apply ``cmd`` at the current time; the future resolves when it is durable."""
        if self.fatal is not None:
            raise RuntimeError("the journal failed; nothing more is accepted") from self.fatal
        now = self.clock()
        # serialised before it is applied: a command the journal could not hold changes nothing
        body = Journal.encode(cmd) if self.journal is not None else b""
        res = self._apply(cmd, now)
        if self.journal is None:
            return res, None
        if self.exchange.changed_nothing(cmd, res):
            # nothing to keep; but the answer must not run ahead of what it observed
            g = self._group if self._group is not None and self._group.records else self._inflight
            return res, (None if g is None else g.future)
        self.seq += 1
        g = self._group
        if g is None:
            g = self._group = _Group(asyncio.get_running_loop())
        g.records.append(Journal.frame(self.seq, now, body))
        if self._inflight is None and self._wake is not None:
            self._wake.set()
        return res, g.future

    async def submit(self, cmd: dict[str, Any]) -> Result:
        res, fut = self.apply_now(cmd)
        if fut is not None:
            await fut
        return res

    def submit_sync(self, cmd: dict[str, Any]) -> Result:
        """Apply and journal immediately (start-up and admin paths, outside the hot path)."""
        now = self.clock()
        res = self._apply(cmd, now)
        if self.journal is not None:
            self.seq += 1
            self.journal.append_many([Journal.record(self.seq, now, cmd)])
        return res

    async def barrier(self) -> None:
        """Wait until every command applied so far is durable."""
        if self.fatal is not None:
            raise RuntimeError("the journal failed") from self.fatal
        g = self._group if self._group is not None and self._group.records else self._inflight
        if g is not None:
            await asyncio.shield(g.future)

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
        """Apply a ``tick`` when something falls due without a command (dead man's switch)."""
        deadline = self.exchange.next_deadline()
        if deadline is not None and self.clock() >= deadline:
            await self.submit({"c": "tick"})
            return True
        return False

    async def advance(self, ms: int) -> int:
        """Move a manual clock forward, firing what falls due on the way (in order)."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("the clock is not manual")
        target = clock.now + ms
        while True:
            deadline = self.exchange.next_deadline()
            step = self.market_next
            nxt = min(t for t in (deadline, step, target + 1) if t is not None)
            if nxt > target:
                break
            clock.now = max(clock.now, nxt)
            if deadline is not None and deadline <= clock.now:
                await self.submit({"c": "tick"})
            if step is not None and step <= clock.now and self.market_step is not None:
                await self.market_step(clock.now)
        clock.now = target
        await self.submit({"c": "tick"})
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
                    await loop.run_in_executor(self._pool, self.journal.append_many, g.records)
                except BaseException as e:  # the disk failed: memory is ahead of the journal
                    self.fatal = e
                    g.future.set_exception(e)
                    if self._group is not None:
                        self._group.future.set_exception(e)
                    if self.exit_on_fatal:
                        # nothing unjournaled may be answered or kept: stop, and let a restart replay
                        print(f"krakensim: journal write failed ({e!r}); exiting", file=sys.stderr, flush=True)
                        os._exit(75)
                    raise
                finally:
                    self._inflight = None
                g.future.set_result(None)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for t in self._tasks:
            t.cancel()
        if self._writer is not None:
            # drain what is pending
            while self._group is not None and self._group.records and self.fatal is None:
                assert self._wake is not None
                self._wake.set()
                await asyncio.sleep(0.001)
            if self._inflight is not None:
                await asyncio.shield(self._inflight.future)
            self._writer.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self.journal is not None:
            if self.fatal is None and self.seq - self.snapshot_seq >= SNAPSHOT_AFTER_REPLAY:
                self.snapshot_sync()  # the next start replays nothing
            self.journal.close()
