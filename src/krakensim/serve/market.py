"""Runs the simulated market on the clock: one step per interval, through the journal."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from ..engine.commands import CreateAccount
from ..market.sim import MarketConfig, MarketSim
from ..market.sources import PriceSource
from ..runtime.core import MAX_MARKET_STEP_MS, Runtime

MARKET_FUNDS_USD8 = 10**9 * 100_000_000  # every simulated agent: 1e9 USD
NEW_AGENT = CreateAccount(MARKET_FUNDS_USD8, market_agent=True)  # what makes each agent's account


def market_accounts(rt: Runtime, makers: int = 3) -> tuple[list[str], str, str]:
    """The makers', the taker's and the arbitrageur's accounts, created once and kept in the journal's meta.

    The meta holds ``maker,taker`` (releases with one maker), then the arbitrageur and further makers:
    an older venue keeps its accounts and gets the missing ones."""
    journal = rt.journal
    stored = journal.get_meta("market_accounts") if journal else None
    known = [a for a in (stored or "").split(",") if a]
    if not all(a in rt.exchange.accounts for a in known):
        known = []
    while len(known) < 2 + max(1, makers):
        known.append(str(rt.submit_sync(NEW_AGENT).account_id))
    if journal:
        journal.set_meta("market_accounts", ",".join(known))
    first_maker, taker, arb, *more = known
    return [first_maker, *more][:max(1, makers)], taker, arb


CHUNK = 16  # commands applied before letting waiting requests in


async def step(rt: Runtime, sim: MarketSim, dt_ms: int, wait: bool = True) -> None:
    """Apply one step's commands back to back (in few journal groups), then wait until they are durable
    (``wait``; on the manual clock the advance that made the step waits for them once, at its end).

    Every ``CHUNK`` commands the event loop is let go, so that a step (about 100 commands)
    never holds up users' requests for more than a fraction of a millisecond.
    """
    if rt.market_paused:  # paused through the control API: prices and agents stand still
        return
    durable = None
    try:
        for i, cmd in enumerate(sim.commands(rt.exchange, max(1, dt_ms), rt.clock()), 1):
            _, fut = rt.apply_now(cmd)
            durable = fut or durable
            if i % CHUNK == 0:
                await asyncio.sleep(0)
        if durable is not None and wait:
            await durable  # a group's future: cancelling this step (at shut-down) does not cancel it
    except Exception as e:  # noqa: BLE001 - the market must not take the server down
        print(f"krakensim: market step failed: {e!r}", file=sys.stderr)


async def run_market(rt: Runtime, sim: MarketSim, interval_ms: int = 1000, speed: float = 1.0) -> None:
    """Step the market every ``interval_ms`` of exchange time on a running clock (a fixed schedule)."""
    loop = asyncio.get_running_loop()
    period = interval_ms / 1000 / speed
    due = loop.time()
    last = rt.clock()
    while True:
        due += period
        await asyncio.sleep(max(0.0, due - loop.time()))
        if loop.time() - due > period:  # fell behind by more than a step: do not try to catch up
            due = loop.time()
        now = rt.clock()
        await step(rt, sim, now - last)
        last = now


def attach_to_manual_clock(rt: Runtime, sim: MarketSim, interval_ms: int = 1000) -> None:
    """With a manual clock the market steps as the clock is advanced, every ``interval_ms`` (or every
    ``rt.market_step_ms`` during an advance that asks for it). A step covers the time since the one before."""
    rt.market_next = rt.clock() + interval_ms
    last = [rt.clock()]

    async def on_step(now: int) -> None:
        # (no wait for the journal per step: the advance's final Tick is durable only after all of them)
        await step(rt, sim, min(now - last[0], MAX_MARKET_STEP_MS), wait=False)
        last[0] = now
        rt.market_next = now + (rt.market_step_ms or interval_ms)

    rt.market_step = on_step


def make_sim(
    rt: Runtime, seed: int, config: MarketConfig | None = None, sources: dict[str, PriceSource] | None = None,
    profiles: dict[str, dict[str, Any]] | None = None,
) -> MarketSim:
    config = config or MarketConfig()
    makers, taker, arb = market_accounts(rt, config.makers)
    # a restart continues with a stream of its own, derived from the seed and the journal
    return MarketSim(seed=seed * 1_000_003 + rt.seq, makers=makers, taker=taker, arbitrageur=arb, config=config,
                     sources=dict(sources or {}), profile_changes=dict(profiles or {}))

