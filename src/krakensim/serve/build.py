"""The composition root: settings → journal, runtime, replay, accounts, market, ASGI app."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..admin.routes import DEFAULT_FUNDS, admin, create_account
from ..api.asgi import App
from ..engine import default_instruments
from ..engine.commands import Tick
from ..market.sim import MarketConfig
from ..market.sources import PriceSource
from ..runtime.clock import ManualClock, ScaledClock
from ..runtime.core import Runtime
from ..store.journal import Journal
from ..store.lock import DataLock
from .config import ConfigError, apply_instruments
from .market import attach_to_manual_clock, make_sim, run_market


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data: str | None = "krakensim-data/journal.sqlite"
    seed: int = 1
    keys: list[tuple[str, str]] = field(default_factory=list)
    funds: Decimal = DEFAULT_FUNDS
    synchronous: str = "FULL"
    manual_clock_start: int | None = None  # epoch ms: a clock that moves only by the control API
    http: str = "uvicorn"  # or "granian"
    market: bool = False  # run the simulated market (prices, a maker's ladder, takers)
    market_config: MarketConfig | None = None
    market_interval_ms: int = 1000
    speed: float = 1.0  # exchange time runs this many times faster than the wall clock
    # [instruments.SYMBOL] of the configuration: changes, new PF_ perpetuals, {"listed": False}
    instruments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # by underlying ("XBT"): the market's price sources and where every contract's index starts
    sources: dict[str, PriceSource] = field(default_factory=dict)
    start_prices: dict[str, Decimal] = field(default_factory=dict)
    init: bool = False  # an empty --data file (0 bytes, or a SQLite database without tables) may become a journal


@dataclass
class Built:
    runtime: Runtime
    app: App
    demo: dict[str, str]
    replayed: int
    lock: DataLock | None = None  # held while the server runs (released with the process, or by release())


def lock_data(path: str) -> DataLock:
    """Take the data file's lock (its folder is created if need be); ``DataInUse`` if another server has it."""
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    return DataLock(path).acquire()


def build(s: Settings, lock: DataLock | None = None) -> Built:
    """Open (and check) the journal under ``lock`` (taken here if not given), replay it, and build the app.

    ``JournalError`` when the journal cannot be used, ``DataInUse`` when another server holds it."""
    journal = None
    seed = s.seed
    if s.data:
        lock = lock or lock_data(s.data)
        try:
            journal = Journal(s.data, s.synchronous, seed=s.seed, init=s.init)
        except BaseException:
            lock.release()
            raise
        if journal.adopted is not None:
            groups, up_to = journal.adopted
            print(f"krakensim: journal {s.data}: {groups} groups (up to seq {up_to}) were written by an earlier "
                  "release without a checksum; their sequence and records were checked and they are chained "
                  "from now on", file=sys.stderr, flush=True)
        stored_seed = journal.seed
        if stored_seed is not None:
            seed = stored_seed
    clock: Any = None
    if s.speed != 1.0 and s.manual_clock_start is None:
        last = journal.last_ts() if journal is not None else None
        clock = ScaledClock(s.speed, resume_from=last or 0)
    if s.manual_clock_start is not None:
        start = s.manual_clock_start
        if journal is not None:  # a manual clock resumes where the journal stopped
            start = max(start, journal.last_ts() or 0)
        clock = ManualClock(start)
    instruments = default_instruments()
    apply_instruments(instruments, s.instruments)
    bases = {i.base for i in instruments.values()}
    for base in set(s.start_prices) | set(s.sources):
        if base not in bases:
            raise ConfigError(f"unknown underlying {base} (known: {', '.join(sorted(bases))})")
    for symbol, inst in instruments.items():
        # an underlying's starting price, on each contract's grid, unless the contract has its own
        if inst.base in s.start_prices and "reference_price" not in s.instruments.get(symbol, {}):
            first = s.start_prices[inst.base]
            on_grid = (first / inst.tick_size).to_integral_value() * inst.tick_size
            inst = instruments[symbol] = replace(inst, reference_price=max(on_grid, inst.tick_size))
        if inst.price_to_ticks(inst.reference_price) is None:
            raise ConfigError(f"{symbol}: the starting price {inst.reference_price} is not a usable price")
    rt = Runtime(seed=seed, journal=journal, clock=clock, exit_on_fatal=True, instruments=instruments)
    try:
        replayed = rt.replay()
    except BaseException:
        if journal is not None:
            journal.close()
        if lock is not None:
            lock.release()
        raise
    # (a long replay leaves rt.unsnapshotted_s high: the snapshot loop takes one soon after the start)
    if rt.exchange.funding.next_time is None:  # a new exchange: start its clocks and list the maturities
        rt.submit_sync(Tick())
    demo: dict[str, str] = {}
    for key, secret in s.keys:
        existing = rt.keys.keys.get(key)
        if existing is None:
            info = create_account(rt, s.funds, key, secret)
        else:
            info = {"accountUid": existing.account_id, "apiKey": key, "apiSecret": existing.secret}
        demo = demo or info
    if not s.keys:
        stored_key = journal.get_meta("demo_key") if journal else None
        if stored_key and stored_key in rt.keys.keys:
            k = rt.keys.keys[stored_key]
            demo = {"accountUid": k.account_id, "apiKey": k.key, "apiSecret": k.secret}
        else:
            demo = create_account(rt, s.funds)
            if journal:
                journal.set_meta("demo_key", demo["apiKey"])
    if s.market:
        sim = make_sim(rt, seed, s.market_config, s.sources)
        if isinstance(rt.clock, ManualClock):
            attach_to_manual_clock(rt, sim, s.market_interval_ms)
        else:
            rt.background.append(lambda: run_market(rt, sim, s.market_interval_ms, s.speed))
    return Built(rt, App(rt, admin), demo, replayed, lock)


def banner(base: str, demo: dict[str, str], replayed: int, data: str | None) -> str:
    k, sec = demo["apiKey"], demo["apiSecret"]
    return f"""krakensim listening on {base}
  data:   {data or 'in memory (nothing is kept)'}{f' ({replayed} journaled commands replayed)' if replayed else ''}
  demo account API key:    {k}
  demo account API secret: {sec}

ccxt:
  import ccxt
  ex = ccxt.krakenfutures({{'apiKey': '{k}', 'secret': '{sec}', 'enableRateLimit': False,
      'urls': {{'api': {{'public': '{base}/derivatives/api/', 'private': '{base}/derivatives/api/',
                        'charts': '{base}/api/charts/', 'history': '{base}/api/history/'}}}}}})
  ex.load_markets(); print(ex.fetch_balance()['USD'])

python-kraken-sdk:
  from kraken.futures import Market, Trade, User
  trade = Trade(key='{k}', secret='{sec}', url='{base}')
  print(trade.create_order(orderType='lmt', side='buy', size=0.001, symbol='PF_XBTUSD', limitPrice=89000))
"""
