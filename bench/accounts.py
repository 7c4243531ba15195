"""``accounts`` and ``openpositions`` latency with 10,000 open positions over 1,000 accounts.

In process, without the network: an exchange with every default contract (the perpetuals and the fixed
maturities), 1,000 accounts with 10 positions each (each bought from one market maker), 100 of them also
holding EUR and XBT in their flex wallet and XBT in their fi_xbtusd margin account. Then the two handlers
are called for accounts picked round-robin, and the time of each call (handler + JSON encoding) is
printed as percentiles. Takes well under a minute.

    PYTHONPATH=src python bench/accounts.py [--accounts 1000] [--positions 10] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from krakensim.api import account as account_api  # noqa: E402
from krakensim.api.params import Params  # noqa: E402
from krakensim.api.request import Request  # noqa: E402
from krakensim.engine import commands as c  # noqa: E402
from krakensim.engine.exchange import Exchange  # noqa: E402
from krakensim.engine.instruments import default_instruments, default_series  # noqa: E402
from krakensim.engine.units import BUY, SELL, USD8  # noqa: E402

NOW = 1_767_225_600_000  # 2026-01-01


class Rt:
    """What the two handlers read of the runtime: the exchange and the clock."""

    def __init__(self, ex: Exchange) -> None:
        self.exchange = ex

    def clock(self) -> int:
        return NOW + 1000


def build(accounts: int, positions: int) -> tuple[Exchange, list[str]]:
    ex = Exchange(default_instruments(), seed=1, series=default_series())
    funds = (("flex", "EUR", 1000 * USD8), ("flex", "XBT", 10**7), ("fi_xbtusd", "XBT", 10**8))
    ex.apply(c.CreateAccount(10**9 * USD8, "maker", funds=(("fi_xbtusd", "XBT", 10**12),), inverse_in_base=True),
             NOW)
    symbols = sorted(ex.listed)[:positions]
    if len(symbols) < positions:
        raise SystemExit(f"only {len(symbols)} contracts are listed")
    ids = []
    for i in range(accounts):
        aid = f"acct-{i:05d}"
        ex.apply(c.CreateAccount(10**6 * USD8, aid, funds=funds if i % 10 == 0 else (), inverse_in_base=True), NOW)
        if i % 10 != 0:
            ex.apply(c.MoveFunds(aid, "XBT", 10**8, "fi_xbtusd"), NOW)
        ids.append(aid)
    t = NOW
    for symbol in symbols:
        inst = ex.listed[symbol]
        mark = ex.pricing.marks[symbol]
        lots = 1 if not inst.linear else max(1, 10 ** max(0, inst.precision - 2))
        for n, aid in enumerate(ids):
            t += 1
            side = BUY if n % 2 else SELL
            ex.apply(c.PlaceOrder("maker", symbol, -side, "lmt", lots, mark), t)
            res = ex.apply(c.PlaceOrder(aid, symbol, side, "ioc", lots, mark), t)
            assert res.status == "placed", (symbol, res.status)
    return ex, ids


def measure(ex: Exchange, ids: list[str], calls: int) -> dict[str, list[float]]:
    rt: Any = Rt(ex)
    out: dict[str, list[float]] = {"accounts": [], "openpositions": []}

    async def run() -> None:
        for name, handler in (("accounts", account_api.accounts), ("openpositions", account_api.openpositions)):
            for k in range(calls):
                req = Request("GET", "/derivatives/api/v3/" + name, Params({}), rt)
                req.account_id = ids[k % len(ids)]
                start = time.perf_counter_ns()
                status, body = await handler(req)
                orjson.dumps(body)
                out[name].append((time.perf_counter_ns() - start) / 1000)
                assert status == 200

    asyncio.run(run())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--positions", type=int, default=10)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ex, ids = build(args.accounts, args.positions)
    open_positions = sum(1 for a in ex.accounts.values() for p in a.positions.values() if p.lots and a.account_id != "maker")
    print(f"built {len(ids)} accounts, {open_positions} open positions in {time.perf_counter() - t0:.1f} s")
    for name, times in measure(ex, ids, args.calls).items():
        q = statistics.quantiles(times, n=100)
        print(f"{name:14s} calls={len(times)} p50={q[49]:.0f} us p90={q[89]:.0f} us p99={q[98]:.0f} us "
              f"max={max(times):.0f} us")


if __name__ == "__main__":
    main()
