"""A seeded past: the history a fresh venue starts with, derived from a seed, ending at the present.

``SeedPast(seed, days)`` is one journaled command; applying it writes the past into the
projections (candles, the public trades and the 24 h tape, mark price changes, funding rates) at
once, without an event per item. Replaying the command (a restart without a snapshot) computes
the same past again from the seed; a snapshot holds it like any other state.

Per underlying one price path is drawn backwards from the current index, so the past ends where
the venue starts: one-minute steps for ``days`` days (at most the retention's candle days), then
15-minute steps back to 11 days, hourly steps back to 260 days (fixed maturities: 90) and daily
steps back to 3,600 days (perpetuals), so that 500 candles exist at every Charts resolution.
Every contract on the underlying follows that path on its own tick grid; its mark is the path
times a small mean-reverting premium, its trades print around the mark (those of the last 24 h
are kept, and each minute's trade candle is made of them), its hourly funding rates follow from
mark and index as ``funding.py`` computes them.

Integers only; the randomness is a SHAKE-256 stream of the seed (deterministic in every process,
and produced in bulk by C code: a week for every instrument takes well under a second).
"""

from __future__ import annotations

import sys
from array import array
from hashlib import shake_256

from .candles import CandleSeries
from .events import TradePrinted
from .funding import FUNDING_PERIOD_MS, RATE_SCALE, Funding
from .ids import IdGen
from .instruments import Instrument
from .market_data import MarketData
from .orders import Order
from .pricing import Pricing
from .units import BUY, DAY_MS, HOUR_MS, MINUTE_MS, SELL

QUARTER_MS = 15 * MINUTE_MS
MAX_DAYS = 400  # what SeedPast accepts (the minutes are further capped by the retention's candle days)
QUARTER_DAYS = 11  # 15-minute candles this far back (500 thirty-minute candles)
HOURLY_DAYS = 260  # hourly candles this far back (500 twelve-hour candles)
HOURLY_DAYS_FIXED = 90  # a fixed maturity's hourly past (about its listed life)
DAILY_DAYS = 3_600  # daily candles this far back, perpetuals only (500 weekly candles)
SCALE = 10**12  # fixed point of the path's multipliers
# volatility (60 % a year) per step, in 1e-12, at each width (the square root of time)
SIGMA = {MINUTE_MS: 828_000_000, QUARTER_MS: 3_207_000_000, HOUR_MS: 6_414_000_000, DAY_MS: 31_420_000_000}
Z_STD = 37_837  # the standard deviation of the sum of four 16-bit uniforms
PREMIUM_STD = 50_000_000  # the mark's premium over the index: a few bp (1e-12)
PAST_TRADES = 1_000  # public executions kept per market from the past (the newest)
MARK_CHANGES = 1_440  # mark price changes kept per market from the past (a day, one a minute)
NIL = "00000000-0000-0000-0000-000000000000"


class Stream:
    """16-bit uniforms from SHAKE-256 of ``key``, drawn in bulk."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.used = 0

    def take(self, n: int) -> array[int]:
        data = shake_256(self.key + self.used.to_bytes(8, "big")).digest(2 * n)
        self.used += 1
        out = array("H", data)
        if sys.byteorder == "big":  # the same numbers on every machine
            out.byteswap()
        return out

    def normals(self, n: int) -> list[int]:
        """About normal, standard deviation ``Z_STD`` (Irwin-Hall of four uniforms); one draw in 2,048 five
        times as large (the heavy tail of jumps)."""
        u = self.take(5 * n)
        return [(u[i] + u[i + 1] + u[i + 2] + u[i + 3] - 131_070) * (5 if u[i + 4] < 32 else 1)
                for i in range(0, 5 * n, 5)]


def walk(z: list[int], start: int, sigma: int) -> list[int]:
    """Multipliers (1e-12) going back from ``start``, one per draw: the newest first."""
    out = []
    r = start
    floor = SCALE // 100  # a path never falls below 1 % of today's price
    den = Z_STD * SCALE
    for zi in z:
        out.append(r)
        r -= r * sigma * zi // den
        if r < floor:
            r = floor
    return out


class Tier:
    """One width of an underlying's past: the candle starts (newest first) and the path's multipliers."""

    def __init__(self, width: int, end: int, rs: list[int]) -> None:
        self.width = width
        self.times = [end - (k + 1) * width for k in range(len(rs))]
        self.rs = rs

    @property
    def begins(self) -> int:
        return self.times[-1] if self.times else 1 << 62


def path_tiers(rng: Stream, now: int, days: int, hourly_days: int, daily: bool) -> list[Tier]:
    """The underlying's tiers, finest (newest) first, each ending where the finer one begins. The minutes
    include the present one when the venue opens within it (its trades before ``now``), so that no minute
    between the past and the live market goes without a candle."""
    end = now - now % MINUTE_MS + (MINUTE_MS if now % MINUTE_MS else 0)
    r = SCALE
    tiers = []
    for width, back in ((MINUTE_MS, days), (QUARTER_MS, QUARTER_DAYS), (HOUR_MS, hourly_days),
                        (DAY_MS, DAILY_DAYS if daily else 0)):
        end -= end % width
        n = max(0, (now - back * DAY_MS - end) // -width)  # steps of ``width`` back to ``back`` days ago
        if width == MINUTE_MS and now % MINUTE_MS:
            n += 1  # the present minute
        rs = walk(rng.normals(n), r, SIGMA[width])
        tier = Tier(width, end, rs)
        tiers.append(tier)
        if rs:
            r, end = rs[-1], tier.begins
    return tiers


def seed_past(md: MarketData, funding: Funding, pricing: Pricing, instruments: list[Instrument], seed: int,
              days: int, now: int) -> int:
    """Write the past of every instrument into the projections; the one-minute candles written per kind."""
    days = max(0, min(days, md.retention.candle_days))
    by_base: dict[str, list[Instrument]] = {}
    for inst in instruments:
        by_base.setdefault(inst.base, []).append(inst)
    written = 0
    for base in sorted(by_base):
        rng = Stream(f"krakensim past {seed} {base}".encode())
        members = by_base[base]
        perpetual_tiers = path_tiers(rng, now, days, HOURLY_DAYS, True)
        horizon = now - HOURLY_DAYS_FIXED * DAY_MS  # fixed maturities: the same path, shorter, no daily tier
        fixed_tiers = [Tier(t.width, t.times[0] + t.width if t.times else now,
                            t.rs[:sum(1 for x in t.times if x >= horizon)]) for t in perpetual_tiers[:3]]
        premium = _premium(rng, len(perpetual_tiers[0].rs))
        for inst in members:
            tiers = perpetual_tiers if inst.perpetual else fixed_tiers
            written += _instrument(md, funding, pricing, inst, tiers, premium, Stream(
                f"krakensim past {seed} {inst.symbol}".encode()), seed, now)
    return written


def _premium(rng: Stream, n: int) -> list[int]:
    """The mark's premium over the index each minute (1e-12), newest first, reverting to today's (0)."""
    out = []
    p = 0
    for z in rng.normals(n):
        out.append(p)
        p = p * 9 // 10 + PREMIUM_STD * z // (Z_STD * 3)
    return out


def _series(cap: int, times: list[int], o: list[int], h: list[int], lo: list[int], c: list[int],
            v: list[int]) -> CandleSeries:
    """A candle series from columns given newest first."""
    s = CandleSeries(cap)
    for column, values in zip(s._columns(), (times, o, h, lo, c, v), strict=True):
        column.extend(array("q", values[::-1]))
    return s


def _ohlc(closes: list[int], wick: int, u: array[int]) -> tuple[list[int], list[int], list[int]]:
    """Opens (the close before), highs and lows (up to ``wick`` ticks beyond), from closes newest first."""
    opens = closes[1:] + closes[-1:]
    up = [x * wick >> 16 for x in u]
    highs = [(o if o > c else c) + d for o, c, d in zip(opens, closes, up[::2], strict=False)]
    lows = [(c if o > c else o) - d for o, c, d in zip(opens, closes, up[1::2], strict=False)]
    return opens, highs, [x if x > 0 else 1 for x in lows]


def _instrument(md: MarketData, funding: Funding, pricing: Pricing, inst: Instrument, tiers: list[Tier],
                premium: list[int], rng: Stream, seed: int, now: int) -> int:
    s = inst.symbol
    index_now, mark_now = pricing.index[s], pricing.marks[s]
    # how far a minute's prices stray from its close: 2 bp (below the path's floor of 1 % of today's price)
    wick = max(2, index_now // 5_000)
    typical = max(1, 20_000 * 100_000_000 // max(1, inst.notional_usd8(1, index_now)))  # 20,000 USD a minute
    minutes = tiers[0]
    n = len(minutes.rs)
    # (the path never falls below 1 % of today's price, so every price below stays positive)
    index = [index_now * r // SCALE for r in minutes.rs]
    mark = [(mark_now * r // SCALE) * (SCALE + q) // SCALE for r, q in zip(minutes.rs, premium, strict=True)]
    cap = md.retention.candle_days * DAY_MS // MINUTE_MS
    zero = [0] * n
    for kind, closes in (("spot", index), ("mark", mark)):
        o, h, lo = _ohlc(closes, wick, rng.take(2 * n))
        md.candles[(s, kind)] = _series(cap, minutes.times, o, h, lo, closes, zero)
    # trade candles: 1, 2 or 4 trades a minute around its mark (open, [high, low,] close); those of the last
    # 24 h are kept as trades, so their candles are made of them
    u = rng.take(6 * n)
    half = wick // 2
    counts = [(1, 1, 2, 4)[x & 3] for x in u[0::6]]
    t_close = [m + (x * wick >> 16) - half for m, x in zip(mark, u[2::6], strict=True)]
    t_open = [c if k == 1 else m + (x * wick >> 16) - half
              for c, k, m, x in zip(t_close, counts, mark, u[1::6], strict=True)]
    t_high = [(o if o > c else c) + ((x * wick >> 16) + 1 if k == 4 else 0)
              for o, c, k, x in zip(t_open, t_close, counts, u[3::6], strict=True)]
    t_low = [(c if o > c else o) - ((x * wick >> 16) + 1 if k == 4 else 0)
             for o, c, k, x in zip(t_open, t_close, counts, u[4::6], strict=True)]
    t_vol = [k + typical * (64 + (x & 0xFF)) // 160 for k, x in zip(counts, u[5::6], strict=True)]
    md.candles[(s, "trade")] = _series(cap, minutes.times, t_open, t_high, t_low, t_close, t_vol)
    trades = _trades(minutes.times, counts, t_open, t_high, t_low, t_close, t_vol, min(n, DAY_MS // MINUTE_MS), now)
    for tier in tiers[1:]:
        closes = [index_now * r // SCALE for r in tier.rs]
        m = len(closes)
        scale = {QUARTER_MS: 4, HOUR_MS: 8, DAY_MS: 40}[tier.width]
        vols = [typical * tier.width // MINUTE_MS] * m
        for kind in ("spot", "mark", "trade"):
            o, h, lo = _ohlc(closes, wick * scale, rng.take(2 * m))
            series = _series(m + 1, tier.times, o, h, lo, closes, vols if kind == "trade" else [0] * m)
            md.coarse.setdefault((s, kind), []).append((tier.width, series))
    # the last 24 h of trades: the tape, and the newest as public executions (their own ids: the exchange's
    # sequence is untouched)
    tape = md.tape[s]
    tape.extend([(t, price, lots) for t, price, lots, _side in trades])
    ids = IdGen(seed * 7_919 + sum(map(ord, s)))
    recent = trades[-PAST_TRADES:]
    first_number = tape.count - len(recent) + 1
    for i, (t, price, lots, side) in enumerate(recent):
        mark_then = mark[(minutes.times[0] - (t - t % MINUTE_MS)) // MINUTE_MS]
        maker = Order(ids.next(), None, NIL, s, SELL if side == BUY else BUY, "lmt", lots, price, False, t, t)
        taker = Order(ids.next(), None, NIL, s, side, "ioc", lots, price, False, t, t)
        md.trades[s].append(TradePrinted(t, s, ids.next(), first_number + i, price, lots, side, maker, taker,
                                         mark_then))
    changes = md.mark_changes[s]
    for k in range(min(n, MARK_CHANGES, changes.maxlen or n) - 1, -1, -1):
        changes.append((minutes.times[k], mark[k]))
    if inst.perpetual:
        _funding(funding, inst, tiers, index_now, premium, now)
    return n


def _trades(times: list[int], counts: list[int], o: list[int], h: list[int], lo: list[int], c: list[int],
            v: list[int], last: int, now: int) -> list[tuple[int, int, int, int]]:
    """(time, ticks, lots, taker side) of the newest ``last`` minutes' trades, oldest first: the close alone,
    the open and the close, or the open, high, low and close; the minute's volume shared out."""
    out = []
    for k in range(last - 1, -1, -1):
        prices = (c[k],) if counts[k] == 1 else (o[k], c[k]) if counts[k] == 2 else (o[k], h[k], lo[k], c[k])
        each, rest = divmod(v[k], len(prices))
        step = min(MINUTE_MS, now - times[k]) // (len(prices) + 1)  # the present minute: before now
        for j, price in enumerate(prices):
            out.append((times[k] + (j + 1) * step, price, each + (rest if j == 0 else 0), BUY if j % 2 else SELL))
    return out


def _funding(funding: Funding, inst: Instrument, tiers: list[Tier], index_now: int, premium: list[int],
             now: int) -> None:
    """Hourly funding rates: the premium of the hour's mark over its index, as ``funding.py`` computes it
    (the minutes' premium where there is one, otherwise a minute's premium picked by the hour)."""
    rates = funding.rates.get(inst.symbol)
    if rates is None:
        return
    hour_now = now - now % FUNDING_PERIOD_MS
    newest = tiers[0].times[0] if tiers[0].times else now
    cap = int(inst.max_relative_funding_rate * RATE_SCALE)
    for k in range(min(HOURLY_DAYS * 24, rates.maxlen or 0), 0, -1):  # oldest first
        t = hour_now - k * FUNDING_PERIOD_MS
        m = (newest - t) // MINUTE_MS
        q = premium[m if 0 <= m < len(premium) else (t // HOUR_MS) % len(premium)] if premium else 0
        idx = max(1, index_now * _at(tiers, t) // SCALE)
        mk = max(1, idx * (SCALE + q) // SCALE)
        num = (mk - idx) * RATE_SCALE
        den = idx * inst.funding_rate_coefficient
        rate = num // den if num >= 0 else -((-num) // den)
        rates.append((t, max(-cap, min(cap, rate)), mk))


def _at(tiers: list[Tier], t: int) -> int:
    """The path's multiplier at the candle holding ``t`` (the finest tier that has it)."""
    for tier in tiers:
        if tier.times and t >= tier.begins:
            k = (tier.times[0] - (t - t % tier.width)) // tier.width
            return tier.rs[max(0, min(len(tier.rs) - 1, k))]
    return tiers[-1].rs[-1] if tiers[-1].rs else SCALE
