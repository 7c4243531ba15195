"""Fixed maturities: listing each series' contracts, and their expiry.

At its last trading time a contract's orders and triggers are cancelled (``contract_expired``),
its positions are closed at the settlement price (the average of the index's one-minute
closes over the series' settlement window) with a taker fee, it leaves the listings and the
series lists what it should have next. Prices in ticks, times in epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Accounts
from .events import ContractSettled, Event
from .instruments import FixedSeries, Instrument
from .listing import Listings
from .market_data import MarketData
from .pricing import Pricing
from .trading import Trading
from .units import MINUTE_MS

Lister = Callable[[Instrument, int, int, int], None]  # (instrument, mark, index, now)


class Maturities:
    def __init__(self, series: tuple[FixedSeries, ...], listings: Listings, pricing: Pricing,
                 market_data: MarketData, accounts: Accounts, trading: Trading, lister: Lister,
                 emit: Callable[[Event], None]) -> None:
        self.series = series  # listed from the first command on
        self.next_expiry: int | None = None  # the next last trading time of a listed maturity
        self.listings = listings
        self.pricing = pricing
        self.market_data = market_data
        self.accounts = accounts
        self.trading = trading
        self.lister = lister
        self.emit = emit

    def roll(self, now: int) -> None:
        """List every maturity the series should have at ``now`` that is not listed yet."""
        for series in self.series:
            reference = self._reference(series.template)
            for ltt, tag in series.maturities(now):
                inst = series.instrument(ltt, tag, now, series.template.ticks_to_price(reference))
                if inst.symbol not in self.listings.instruments:
                    self.lister(inst, reference, reference, now)
        ltts = [i.last_trading_ms for i in self.listings.listed.values() if i.last_trading_ms is not None]
        self.next_expiry = min(ltts) if ltts else None

    def _reference(self, template: Instrument) -> int:
        """The index (ticks) of a listed contract on the same underlying, else the template's price."""
        for inst in self.listings.listed.values():
            if inst.base == template.base and inst.quote == template.quote and inst.tick_size == template.tick_size:
                return self.pricing.index[inst.symbol]
        ticks = template.price_to_ticks(template.reference_price)
        assert ticks is not None
        return ticks

    def index_average(self, symbol: str, ltt: int, minutes: int) -> int:
        """The average of the index's one-minute closes over ``minutes`` before ``ltt`` (ticks).

        A minute without an index update carries the previous close forward; with no update
        in the window at all, the price is the index now.
        """
        if minutes <= 0:
            return self.pricing.index[symbol]
        candles = self.market_data.candles[(symbol, "spot")]
        start = ltt - ltt % MINUTE_MS - minutes * MINUTE_MS
        before = candles.close_before(start)
        price = self.pricing.index[symbol] if before is None else before
        total = 0
        for i in range(minutes):
            close = candles.close_at(start + i * MINUTE_MS)
            if close is not None:
                price = close
            total += price
        return (total + minutes // 2) // minutes

    def expire(self, now: int) -> None:
        """Stop every maturity whose last trading time has come: cancel its orders, settle its positions."""
        due = [i for i in self.listings.listed.values() if i.last_trading_ms is not None and i.last_trading_ms <= now]
        for inst in due:
            s = inst.symbol
            for trigger in list(self.trading.trigger_books[s].by_id.values()):
                self.trading.cancel_trigger(trigger, now, "contract_expired")
            book = self.trading.matchers[s].book
            for side in (book.bids, book.asks):
                for p in list(side.prices()):
                    for order in list(side.levels[p].values()):
                        self.trading.cancel_resting(order, now, "contract_expired")
            assert inst.last_trading_ms is not None
            price = self.index_average(s, inst.last_trading_ms, inst.settlement_minutes)
            self.emit(ContractSettled(now, s, price, self.pricing.settle(s, price)))
            for account in self.accounts.values():
                self.accounts.settle(account, inst, price, now)
            self.listings.delist(s)
        self.roll(now)
