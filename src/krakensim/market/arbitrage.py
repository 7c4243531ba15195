"""The arbitrageur: takes any resting order priced through the fair value.

On the live venue a bid far above the index (a fat finger, a buggy bot) is sold into within
milliseconds; without it a post-only maker could not quote that side (its asks would cross)
and one stray order would freeze the market. Each step, before the makers quote, every bid at
or above ``fair + band`` is sold into and every ask at or below ``fair - band`` bought, with one
IOC order per side limited at the band (so it never trades at a price inside it). The band is
``band_bps`` of the fair price, at least two of the profile's half-spreads, so the makers'
own quotes are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..engine.commands import Command, PlaceOrder
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from ..engine.units import BUY, SELL
from .profile import BookProfile


@dataclass
class Arbitrageur:
    account: str
    band_bps: float = 5.0

    def band(self, profile: BookProfile, fair: int) -> int:
        return max(2 * profile.half_spread_ticks + 2, round(fair * self.band_bps / 10_000))

    def step(self, ex: Exchange, inst: Instrument, profile: BookProfile, fair: int) -> Iterator[Command]:
        book = ex.book(inst.symbol)
        band = self.band(profile, fair)
        for side, through, limit in ((SELL, book.bids, fair + band), (BUY, book.asks, fair - band)):
            lots = 0
            for price in through.prices():  # best first: stop at the first level inside the band
                if (side == SELL and price < limit) or (side == BUY and price > limit):
                    break
                lots += through.sizes[price]
            if lots and limit > 0:
                yield PlaceOrder(self.account, inst.symbol, side, "ioc", lots, limit_price=limit)
