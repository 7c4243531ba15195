"""The liquidation check's cost per mark move: 10,000 positions over 1,000 accounts.

Ten perpetual contracts (copies of PF_XBTUSD under other symbols), 1,000 accounts each holding a
position in every one of them (from 1.5× to 12× leverage overall), opened against one market
maker. Then mark moves through the engine (``SetPrices``, the way the control API and a price
source move the mark), and for each: the wall time of the whole command, the accounts the
liquidation check recomputed, and what a full scan of every holder of the contract would have
cost (``Risk.summary`` and ``maintenance_margin`` of each, timed in the same run). Small moves
(a random walk of a few basis points) and large ones (which liquidate accounts) are measured
apart. Prints the figures; runs in well under a minute.

    python bench/liquidation.py [--src DIR] [--moves 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--src", default=str(ROOT / "src"), help="whose krakensim to measure")
ap.add_argument("--moves", type=int, default=2000, help="small mark moves to measure (default 2000)")
ap.add_argument("--accounts", type=int, default=1000)
ap.add_argument("--contracts", type=int, default=10)
args = ap.parse_args()
sys.path.insert(0, str(Path(args.src).resolve()))

from krakensim.engine import Exchange, default_instruments  # noqa: E402
from krakensim.engine.commands import CancelAll, CreateAccount, PlaceOrder, SetPrices, Tick  # noqa: E402

USD = 10**8
T0 = 1_700_000_000_000
BUY, SELL = 1, -1
MID = 90000  # ticks (1 USD)


def build() -> tuple[Exchange, list[str], list[str], int]:
    base = default_instruments()["PF_XBTUSD"]
    symbols = [f"PF_X{i:02d}USD" for i in range(args.contracts)]
    ex = Exchange({s: replace(base, symbol=s) for s in symbols}, seed=1)
    t = T0
    maker = ex.apply(CreateAccount(10**12 * USD), t).account_id
    assert maker is not None
    rng = random.Random(7)
    accounts = []
    for _ in range(args.accounts):
        a = ex.apply(CreateAccount(rng.randrange(2_000, 20_000) * USD), t).account_id
        assert a is not None
        accounts.append(a)
    for s in symbols:  # the maker rests both sides once per contract; every account takes one of them
        t += 1
        for side in (BUY, SELL):
            ex.apply(PlaceOrder(maker, s, side, "lmt", 1500 * args.accounts, MID - side), t)
        for a in accounts:
            t += 1
            side = rng.choice((BUY, SELL))
            r = ex.apply(PlaceOrder(a, s, side, "ioc", rng.randrange(100, 1500), MID + side), t)  # 0.01-0.15 BTC
            assert r.status == "placed", r.status
        ex.apply(CancelAll(maker, s), t)
    return ex, symbols, accounts, t


def main() -> None:
    t0 = time.perf_counter()
    ex, symbols, accounts, t = build()
    positions = sum(1 for a in accounts for p in ex.accounts[a].positions.values() if p.lots)
    print(f"built: {len(accounts)} accounts, {positions} positions in {len(symbols)} contracts "
          f"({time.perf_counter() - t0:.1f} s)")
    liq, risk = ex.liquidation, ex.risk
    rng = random.Random(11)  # (within the hour the positions were opened in: no funding recheck is measured)
    marks = {s: MID for s in symbols}

    def move(symbol: str, mark: int) -> tuple[float, int]:
        nonlocal t
        t += 1
        before = liq.checks
        start = time.perf_counter()
        ex.apply(SetPrices(symbol, mark=mark), t)
        return time.perf_counter() - start, liq.checks - before

    small: list[tuple[float, int]] = []
    for _ in range(args.moves):  # a random walk of up to ±5 bp a move
        s = rng.choice(symbols)
        marks[s] = max(1, marks[s] + rng.randint(-45, 45))
        small.append(move(s, marks[s]))

    scan: list[float] = []  # what checking every holder of the moved contract costs
    for s in symbols[:3]:
        holders = [ex.accounts[a] for a in ex.liquidation.holders[s]]
        start = time.perf_counter()
        for acc in holders:
            risk.summary(acc).equity < risk.maintenance_margin(acc)  # noqa: B015 - the cost is the point
        scan.append(time.perf_counter() - start)

    hour = ex.funding.next_time  # the end of the hour: funding realised, every holder of a perpetual rechecked
    assert hour is not None
    before, start = liq.checks, time.perf_counter()
    ex.apply(Tick(), hour)
    hourly = time.perf_counter() - start, liq.checks - before
    t = hour

    large: list[tuple[float, int]] = []
    liquidated_before = sum(1 for a in accounts if not any(p.lots for p in ex.accounts[a].positions.values()))
    for s in symbols:  # a 6 % fall of every contract, one after the other
        marks[s] = marks[s] * 94 // 100
        large.append(move(s, marks[s]))
    liquidated = sum(1 for a in accounts if not any(p.lots for p in ex.accounts[a].positions.values()))

    def us(x: float) -> str:
        return f"{x * 1e6:,.1f} µs"

    times = [x for x, _ in small]
    checks = [n for _, n in small]
    print(f"small moves ({len(small)}, ±5 bp): median {us(statistics.median(times))}, "
          f"p99 {us(sorted(times)[int(len(times) * 0.99)])}, mean {us(statistics.fmean(times))} per move; "
          f"accounts checked per move: mean {statistics.fmean(checks):.2f}, max {max(checks)}")
    holders = statistics.fmean(len(ex.liquidation.holders[s]) for s in symbols[:3])
    print(f"full scan of a contract's holders ({holders:.0f} accounts): {us(statistics.fmean(scan))} per move "
          f"({statistics.fmean(scan) / statistics.median(times):.0f}× the median indexed move)")
    print(f"the hour's funding realisation and recheck: {us(hourly[0])}, accounts checked {hourly[1]}")
    big_times = [x for x, _ in large]
    print(f"large moves ({len(large)}, −6 % each): mean {us(statistics.fmean(big_times))} per move, "
          f"accounts checked {sum(n for _, n in large)}, liquidated {liquidated - liquidated_before}")
    print(f"total {time.perf_counter() - t0:.1f} s")


main()
