"""What is listed, what ever was, and the state each market is in."""

from __future__ import annotations

from collections.abc import Callable

from .events import ContractListed, Event, MarketStateChanged
from .instruments import Instrument
from .orders import MARKET_STATES


class Listings:
    __slots__ = ("instruments", "listed", "market_state", "emit")

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self.instruments: dict[str, Instrument] = {}  # every instrument ever listed (expired ones too)
        self.listed: dict[str, Instrument] = {}  # what is listed now
        self.market_state: dict[str, str] = {}
        self.emit = emit

    def add(self, inst: Instrument, now: int) -> None:
        s = inst.symbol
        self.instruments[s] = self.listed[s] = inst
        self.market_state[s] = "post_only" if inst.post_only else "open"
        self.emit(ContractListed(now, s))

    def delist(self, symbol: str) -> None:
        self.market_state[symbol] = "inactive"
        del self.listed[symbol]

    def set_state(self, symbol: str, state: str, now: int) -> None:
        if state not in MARKET_STATES:
            raise ValueError(state)
        self.market_state[symbol] = state
        self.emit(MarketStateChanged(now, symbol, state))

    def refusal(self, symbol: str, order_type: str) -> str | None:
        """Kraken's status for an order the market's state refuses, or None."""
        state = self.market_state[symbol]
        if state == "open":
            return None
        if state == "suspended":
            return "marketSuspended"
        if state == "inactive":
            return "marketInactive"
        return None if order_type == "post" else "marketIsPostOnly"

    def state(self) -> tuple[object, ...]:
        return list(self.listed), sorted(self.market_state.items())
