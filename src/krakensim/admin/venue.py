"""The control API's endpoints for the venue as a whole: health, status, reset, state export and load.

A refusal here is Kraken's error envelope with an HTTP status and a ``message`` naming the field or
the reason (``{"result": "error", "error": "invalidArgument", "message": "state: …"}``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..api.errors import INVALID
from ..api.render.numbers import iso
from ..api.request import Reply
from ..engine.commands import SetPrices
from ..runtime.clock import ManualClock, ScaledClock
from ..runtime.core import Runtime
from ..runtime.faults import FaultError, parse_fault
from ..runtime.reset import StateFileError
from ..runtime.resets import export_state, load_state, reset
from ..runtime.settings import CLOCK_SPEED, FAULTS, MARKET_RUNNING, RATE_LIMITS, SetVenueSetting, faults_value
from ..version import __version__
from .routes import BAD_REQUEST, CONFLICT, Handler


def refuse(rt: Runtime, status: int, message: str, code: str = INVALID) -> Reply:
    return status, {"result": "error", "error": code, "message": message, "serverTime": iso(rt.clock())}


def success(rt: Runtime, **payload: Any) -> Reply:
    return 200, {"result": "success", **payload, "serverTime": iso(rt.clock())}


def _state_text(rt: Runtime, doc: dict[str, Any]) -> str | Reply:
    text = doc.get("state")
    if not isinstance(text, str):
        return refuse(rt, BAD_REQUEST, "state: required, the text of a state file (GET snapshot)")
    return text


async def _health(rt: Runtime, doc: dict[str, Any]) -> Reply:
    return success(rt, status="ok" if rt.fatal is None else "failed", version=__version__)


async def _status(rt: Runtime, doc: dict[str, Any]) -> Reply:
    ex = rt.exchange
    return success(rt, version=__version__, now=iso(rt.clock()), manualClock=isinstance(rt.clock, ManualClock),
                   market=rt.market_on,
                   journal=rt.journal.path if rt.journal is not None else None, journalSeq=rt.seq,
                   accounts=len(ex.accounts), apiKeys=len(rt.keys.keys), instruments=sorted(ex.listed),
                   digest=ex.digest())


async def _reset(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """``{}``: back to the configured start; ``{"state": "<state file>"}``: to that state."""
    if "state" in doc:
        return await _restore(rt, doc)
    await reset(rt)
    return success(rt, digest=rt.exchange.digest(), journalSeq=rt.seq)


async def _snapshot(rt: Runtime, doc: dict[str, Any]) -> Reply:
    try:
        data = await export_state(rt, __version__)
    except StateFileError as e:
        return refuse(rt, CONFLICT, str(e), "Unavailable")
    return success(rt, state=data.decode())


async def _restore(rt: Runtime, doc: dict[str, Any]) -> Reply:
    text = _state_text(rt, doc)
    if not isinstance(text, str):
        return text
    try:
        n = await load_state(rt, text.encode())
    except StateFileError as e:
        return refuse(rt, BAD_REQUEST, str(e))
    return success(rt, commands=n, digest=rt.exchange.digest(), journalSeq=rt.seq)


async def _underlying_price(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """``{"base": "XBT", "price": "80000"}``: index and mark of every listed contract on ``base``, each
    rounded to its own tick (what ``krakensim price set XBT 80000`` and the plugin's ``set_price`` send)."""
    base, text = doc.get("base"), doc.get("price")
    insts = [i for i in rt.exchange.listed.values() if i.base == base] if isinstance(base, str) else []
    if not insts:
        known = sorted({i.base for i in rt.exchange.listed.values()})
        return refuse(rt, BAD_REQUEST, f"base: required, one of {', '.join(known)}")
    try:
        price = Decimal(str(text)) if isinstance(text, (int, float, str)) and not isinstance(text, bool) else None
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or price <= 0:
        return refuse(rt, BAD_REQUEST, "price: required, a positive number")
    planned: list[tuple[str, int]] = []
    for inst in insts:
        ticks = inst.price_to_ticks(max(inst.tick_size, (price / inst.tick_size).to_integral_value() * inst.tick_size))
        if ticks is None:
            return refuse(rt, BAD_REQUEST, f"price: {price} is not a usable price for {inst.symbol}")
        planned.append((inst.symbol, ticks))
    for symbol, ticks in planned:
        await rt.submit(SetPrices(symbol, mark=ticks, index=ticks))
    return success(rt, symbols=[s for s, _ in planned])


VENUE_HANDLERS: dict[str, dict[str, Handler]] = {
    "health": {"GET": _health},
    "status": {"GET": _status},
    "reset": {"POST": _reset},
    "snapshot": {"GET": _snapshot},
    "restore": {"POST": _restore},
    "underlying-price": {"POST": _underlying_price},
}


async def _rate_limits(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """Whether Kraken's rate limits apply now, and whether the server was started with them."""
    return success(rt, enabled=rt.limiter.enabled, configured=rt.limiter.configured)


async def _switch_rate_limits(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """``{"enabled": true|false}``: switch them until the next reset (every bucket full again); journaled,
    so a restart keeps the switch (runtime/settings.py)."""
    enabled = doc.get("enabled")
    if not isinstance(enabled, bool):
        return refuse(rt, BAD_REQUEST, "enabled: required, true or false")
    await rt.submit(SetVenueSetting(RATE_LIMITS, enabled))
    return await _rate_limits(rt, doc)


VENUE_HANDLERS["rate-limits"] = {"GET": _rate_limits, "POST": _switch_rate_limits}


async def _faults(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """The faults in force (runtime/faults.py)."""
    return success(rt, faults=[f.to_json() for f in rt.faults.faults], seed=rt.faults.seed)


async def _add_fault(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """One more fault: ``{"kind": "latency", "endpoint": "/derivatives/api/v3/sendorder", "ms": 250, …}``
    (journaled with its times on the exchange's clock: ``after_s``/``for_s`` are counted from now)."""
    try:
        fault = parse_fault(doc, rt.clock())
    except FaultError as e:
        return refuse(rt, BAD_REQUEST, str(e))
    await rt.submit(SetVenueSetting(FAULTS, faults_value(rt.faults, fault)))
    return success(rt, fault=rt.faults.faults[-1].to_json())


async def _clear_faults(rt: Runtime, doc: dict[str, Any]) -> Reply:
    await rt.submit(SetVenueSetting(FAULTS, {**faults_value(rt.faults), "faults": []}))
    return await _faults(rt, doc)


async def _drop_websockets(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """Close every WebSocket connection now (clients see the connection drop, code 1011)."""
    return success(rt, dropped=rt.drop_websockets())


VENUE_HANDLERS["faults"] = {"GET": _faults, "POST": _add_fault}
VENUE_HANDLERS["faults/clear"] = {"POST": _clear_faults}
VENUE_HANDLERS["faults/drop-websockets"] = {"POST": _drop_websockets}


async def _market(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """Whether the simulated market is configured, and whether it runs now."""
    return success(rt, simulated=rt.market_on, running=rt.market_on and not rt.market_paused)


async def _switch_market(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """``{"running": false}``: the market's prices and agents stand still (the index, the maker's ladder and
    the takers), until ``{"running": true}`` or a reset; the books and marks stay as they are."""
    running = doc.get("running")
    if not isinstance(running, bool):
        return refuse(rt, BAD_REQUEST, "running: required, true or false")
    if not rt.market_on:
        return refuse(rt, CONFLICT, "running: this server runs no simulated market (started with --quiet)",
                      "Unavailable")
    await rt.submit(SetVenueSetting(MARKET_RUNNING, running))
    return await _market(rt, doc)


VENUE_HANDLERS["market"] = {"GET": _market, "POST": _switch_market}


async def _clock_speed(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """``{"speed": 10}``: exchange time runs that many times faster than the wall clock from now on (a server
    started with ``--speed``; a manual clock moves only by ``POST clock``)."""
    speed = doc.get("speed")
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0 < speed <= MAX_SPEED:
        return refuse(rt, BAD_REQUEST, f"speed: required, a number above 0 and at most {MAX_SPEED}")
    if not isinstance(rt.clock, ScaledClock):
        return refuse(rt, CONFLICT, "speed: this server's clock is not scaled (start it with --speed F, any F, "
                      "to change its speed at run time; --clock manual moves by POST clock)", "Unavailable")
    await rt.submit(SetVenueSetting(CLOCK_SPEED, float(speed)))
    return await _speed(rt, doc)


async def _speed(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """A scaled clock's speed now and as configured (null for a wall or a manual clock)."""
    clock = rt.clock if isinstance(rt.clock, ScaledClock) else None
    return success(rt, now=iso(rt.clock()), speed=None if clock is None else clock.speed,
                   configured=None if clock is None else clock.start_speed)


MAX_SPEED = 100_000
VENUE_HANDLERS["clock/speed"] = {"GET": _speed, "POST": _clock_speed}
