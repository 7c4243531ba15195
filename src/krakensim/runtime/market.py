"""Runs the simulated market on the clock: one step per interval, through the journal."""

from __future__ import annotations

import asyncio
import sys

from ..market.sim import MarketConfig, MarketSim
from .core import Runtime

MARKET_FUNDS_USD8 = 10**9 * 100_000_000  # the simulated maker and taker: 1e9 USD each


def market_accounts(rt: Runtime) -> tuple[str, str]:
    """The maker and taker accounts, created once and kept in the journal's meta."""
    journal = rt.journal
    stored = journal.get_meta("market_accounts") if journal else None
    if stored:
        maker, taker = stored.split(",")
        if maker in rt.exchange.accounts and taker in rt.exchange.accounts:
            return maker, taker
    maker = rt.submit_sync({"c": "acct", "usd8": MARKET_FUNDS_USD8}).extra
    taker = rt.submit_sync({"c": "acct", "usd8": MARKET_FUNDS_USD8}).extra
    if journal:
        journal.set_meta("market_accounts", f"{maker},{taker}")
    return maker, taker


async def run_market(rt: Runtime, sim: MarketSim, interval_ms: int = 1000) -> None:
    last = rt.clock()
    while True:
        await asyncio.sleep(interval_ms / 1000)
        now = rt.clock()
        try:
            for cmd in sim.commands(rt.exchange, max(1, now - last)):
                await rt.submit(cmd)
        except Exception as e:  # noqa: BLE001 - the market must not take the server down
            print(f"krakensim: market step failed: {e!r}", file=sys.stderr)
        last = now


def make_sim(rt: Runtime, seed: int, config: MarketConfig | None = None) -> MarketSim:
    maker, taker = market_accounts(rt)
    # a restart continues with a stream of its own, derived from the seed and the journal
    return MarketSim(seed=seed * 1_000_003 + rt.seq, maker=maker, taker=taker, config=config or MarketConfig())

