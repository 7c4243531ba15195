"""The composition root: settings → journal, runtime, replay, accounts, market, ASGI app."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..admin.endpoints import ENDPOINTS
from ..admin.gate import is_loopback, token_problem
from ..admin.routes import DEFAULT_FUNDS, ControlApi, create_account, new_admin_token
from ..admin.scenarios import ScenarioError, parse_scenario
from ..api.asgi import App
from ..dashboard.pages import Pages
from ..engine import default_instruments
from ..engine.commands import Command, SeedPast, Tick
from ..engine.retention import Retention
from ..market.sim import MarketConfig
from ..market.sources import PriceSource
from ..runtime.clock import ManualClock, ScaledClock
from ..runtime.core import Runtime
from ..runtime.faults import FaultPlan, parse_fault
from ..runtime.rate_limits import RateLimiter
from ..store.journal import Journal
from ..store.lock import DataLock
from ..ws.hub import Hub
from ..ws.protocol import Limits
from .config import ConfigError, apply_instruments
from .market import attach_to_manual_clock, make_sim, run_market
from .protocol import ConnectionLimits
from .start_again import start_again

DEFAULT_PAST_DAYS = 3  # with the market: three days of one-minute history, coarser candles before


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
    liquidity: dict[str, dict[str, Any]] = field(default_factory=dict)  # [liquidity.SYMBOL]: profile changes
    scenarios: list[dict[str, Any]] = field(default_factory=list)  # scheduled at a fresh venue's start
    past_days: int | None = None  # a fresh venue's seeded history (engine/past.py); None: 3 with the market, else 0
    speed: float = 1.0  # exchange time runs this many times faster than the wall clock
    # [instruments.SYMBOL] of the configuration: changes, new PF_ perpetuals, {"listed": False}
    instruments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # by underlying ("XBT"): the market's price sources and where every contract's index starts
    sources: dict[str, PriceSource] = field(default_factory=dict)
    start_prices: dict[str, Decimal] = field(default_factory=dict)
    retention: Retention = field(default_factory=Retention)  # how much of the past is kept ([retention])
    # the control API's token (--admin-token, KRAKENSIM_ADMIN_TOKEN); None: one kept with the data,
    # or made for this run in memory mode. Required to listen beyond loopback.
    admin_token: str | None = None
    connection_limits: ConnectionLimits = field(default_factory=ConnectionLimits)  # timeouts, the cap
    init: bool = False  # an empty --data file (0 bytes, or a SQLite database without tables) may become a journal
    # --tls-port: REST and WebSocket over TLS on this port too (0: a free one); --tls-cert/--tls-key: the user's
    # own certificate, otherwise one made on first start and kept with the data (serve/tls.py)
    tls_port: int | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)  # [[faults]] of the configuration (runtime/faults.py)
    rate_limits: bool = False  # Kraken's REST rate limits (serve: on unless --no-rate-limits; runtime/rate_limits.py)
    ws_limits: bool = False  # Kraken's WebSocket limits (connections per address, messages per second)
    ws_queue_bytes: int = Limits.queue_bytes  # a connection's unsent bytes before it is closed as too slow


@dataclass
class Built:
    runtime: Runtime
    app: App
    demo: dict[str, str]
    replayed: int
    control: ControlApi
    admin_token_source: str  # where the token came from, for the banner
    hub: Hub  # the WebSocket feeds (/ws/v1)
    ws_limits: Limits
    lock: DataLock | None = None  # held while the server runs (released with the process, or by release())

    @property
    def admin_token(self) -> str:
        return self.control.token



def start_commands(rt: Runtime, s: Settings, seed: int) -> list[Command]:
    """What a fresh venue is given after its first tick (at start, and again after a reset): the seeded
    past (one journaled command: a replay computes the same past from the seed again) and the scenarios of
    [[scenarios]] and --scenario, from the venue's start."""
    past_days = s.past_days if s.past_days is not None else (DEFAULT_PAST_DAYS if s.market else 0)
    commands: list[Command] = [SeedPast(seed, past_days)] if past_days else []
    ex = rt.exchange
    for n, doc in enumerate(s.scenarios, 1):
        try:
            commands.append(parse_scenario(doc, rt.clock(), {i.base for i in ex.listed.values()}, set(ex.listed)))
        except ScenarioError as e:
            raise ConfigError(f"scenario #{n}: {e}") from e
    return commands

def check_exposure(s: Settings) -> None:
    """Refuse a token that is no good, and a listener beyond loopback whose token nobody chose."""
    if s.admin_token is not None:
        problem = token_problem(s.admin_token)
        if problem is not None:
            raise ConfigError(f"the control API's token (--admin-token, KRAKENSIM_ADMIN_TOKEN) {problem}")
    elif not is_loopback(s.host):
        raise ConfigError(
            f"--host {s.host} is not a loopback address: the trading API and the control API would be "
            "reachable from the network. Choose the control API's token with --admin-token or "
            "KRAKENSIM_ADMIN_TOKEN to listen there")


def _admin_token(s: Settings, journal: Journal | None) -> tuple[str, str]:
    """The control API's token and where it came from."""
    if s.admin_token is not None:
        return s.admin_token, "given with --admin-token or KRAKENSIM_ADMIN_TOKEN"
    if journal is None:
        return new_admin_token(), "made for this run: in memory, nothing is kept"
    stored = journal.get_meta("admin_token")
    if stored is None:
        stored = new_admin_token()
        journal.set_meta("admin_token", stored)
    return stored, f"kept with the data in {s.data}"


def lock_data(path: str) -> DataLock:
    """Take the data file's lock (its folder is created if need be); ``DataInUse`` if another server has it."""
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    return DataLock(path).acquire()


def build(s: Settings, lock: DataLock | None = None) -> Built:
    """Open (and check) the journal under ``lock`` (taken here if not given), replay it, and build the app.

    ``JournalError`` when the journal cannot be used, ``DataInUse`` when another server holds it."""
    check_exposure(s)
    instruments = default_instruments()  # checked before the data file is locked or opened
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
    token, token_source = _admin_token(s, journal)
    clock: Any = None
    if s.speed != 1.0 and s.manual_clock_start is None:
        last = journal.last_ts() if journal is not None else None
        clock = ScaledClock(s.speed, resume_from=last or 0)
    if s.manual_clock_start is not None:
        start = s.manual_clock_start
        if journal is not None:  # a manual clock resumes where the journal stopped
            start = max(start, journal.last_ts() or 0)
        clock = ManualClock(start)
    rt = Runtime(seed=seed, journal=journal, clock=clock, exit_on_fatal=True, instruments=instruments,
                 retention=s.retention)
    # the configured settings before the replay, which puts back those changed through the control API
    rt.limiter = RateLimiter(s.rate_limits)
    rt.faults = FaultPlan(seed, configured=[parse_fault(f, rt.clock()) for f in s.faults])
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
        for cmd in start_commands(rt, s, seed):
            rt.submit_sync(cmd)
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
    sim = None
    if s.market:
        sim = make_sim(rt, seed, s.market_config, s.sources, s.liquidity)
        if isinstance(rt.clock, ManualClock):
            attach_to_manual_clock(rt, sim, s.market_interval_ms)
        else:
            rt.background.append(lambda: run_market(rt, sim, s.market_interval_ms, s.speed))
    rt.clock_origin = s.manual_clock_start
    rt.on_reset.append(start_again(rt, s.keys, s.funds, demo, sim, s.market_interval_ms,
                                   lambda: start_commands(rt, s, seed)))
    rt.market_on = s.market
    if s.market and journal is None and not isinstance(rt.clock, ManualClock):
        rt.log = None  # a market running for hours in memory: its commands are not kept for state files
    control = ControlApi(token, ENDPOINTS)
    control.gate.listen(s.host, s.port)  # the port again once the socket is bound (port 0)
    hub = Hub(rt)  # subscribed to the bus now: it sees every event from here on
    rt.drop_websockets = lambda: drop_connections(hub)
    rt.background.append(hub.run)
    limits = Limits(queue_bytes=s.ws_queue_bytes, enabled=s.ws_limits)
    return Built(rt, App(rt, control, Pages().page), demo, replayed, control, token_source, hub, limits, lock)


def drop_connections(hub: Hub) -> int:
    """Close every WebSocket connection (1011, as when the server falls behind); how many there were."""
    peers = list(hub.peers)
    for peer in peers:
        peer.drop(1011, "dropped")
        hub.detach(peer)
    return len(peers)


def exposure_warning(host: str) -> str:
    return (f"WARNING: listening on {host}, beyond loopback: the trading API and the control API "
            "(token required) are reachable from the network.\n")


def banner(base: str, built: Built, data: str | None, host: str = "127.0.0.1") -> str:
    demo, replayed, token = built.demo, built.replayed, built.admin_token
    k, sec = demo["apiKey"], demo["apiSecret"]
    warning = "" if is_loopback(host) else exposure_warning(host)
    market = ("simulated: index prices, market makers and takers (--quiet: none)" if built.runtime.market_on
              else "quiet: no simulated agents, prices move only through the control API")
    return f"""{warning}krakensim listening on {base}
  market: {market}
  data:   {data or 'in memory (nothing is kept)'}{f' ({replayed} journaled commands replayed)' if replayed else ''}
  demo account API key:    {k}
  demo account API secret: {sec}
  control API token:       {token}
                           ({built.admin_token_source})

WebSocket feeds: {base.replace("http", "ws", 1)}/ws/v1  (ccxt.pro: urls['api']['ws']; python-kraken-sdk dials only
                 wss://: start with --tls-port PORT)

control API (every request: Authorization: Bearer <token>; POST bodies: Content-Type: application/json):
  curl -H 'Authorization: Bearer {token}' {base}/_krakensim/v1/digest

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
