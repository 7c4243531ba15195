"""Commands: what is asked of the exchange, in the imperative. Every state change starts here.

A command is applied with a time the runtime chose (``Exchange.apply(command, now)``) and is
journaled as one JSON object. The journal encoding is the one krakensim has always written
(a ``"c"`` tag and short keys, defaults left out), so every journal written by an earlier
release decodes into these classes: ``CommandCodec`` is the one encoder and decoder.

Units as everywhere in the engine: ticks, lots, usd8, epoch milliseconds.
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

from .triggers import LAST


class Command(msgspec.Struct, frozen=True, gc=False, tag_field="c", omit_defaults=True):
    """The base of every journaled command (omit_defaults: only what differs from a default is written)."""


class PlaceOrder(Command, frozen=True, tag="place", rename={
    "account_id": "a", "symbol": "s", "side": "d", "order_type": "t", "quantity": "q", "limit_price": "p",
    "client_order_id": "cli", "reduce_only": "ro", "process_before": "pb", "stop_price": "sp",
    "trigger_signal": "sig", "limit_offset": "lo", "trailing_deviation": "tr", "refusal": "err",
}):
    account_id: str
    symbol: str
    side: int
    order_type: str  # lmt | post | ioc | mkt | fok | stp | take_profit | trailing_stop
    quantity: int
    limit_price: int | None = None
    client_order_id: str | None = None
    reduce_only: bool = False
    process_before: int | None = None  # refused when applied after this time
    stop_price: int | None = None
    trigger_signal: str = LAST
    limit_offset: tuple[int, str] | None = None  # (value, PERCENT | QUOTE_CURRENCY)
    trailing_deviation: tuple[int, str] | None = None
    refusal: str | None = None  # an OrderError the gateway found in a trigger order: refused with it


class CancelOrder(Command, frozen=True, tag="cancel", rename={
    "account_id": "a", "order_id": "o", "client_order_id": "cli", "process_before": "pb",
}):
    account_id: str
    order_id: str | None = None
    client_order_id: str | None = None
    process_before: int | None = None


class EditOrder(Command, frozen=True, tag="edit", rename={
    "account_id": "a", "order_id": "o", "client_order_id": "cli", "quantity": "q", "limit_price": "p",
    "quantity_mode": "qm", "process_before": "pb", "stop_price": "sp", "trailing_deviation": "tr",
}):
    account_id: str
    order_id: str | None = None
    client_order_id: str | None = None
    quantity: int | None = None  # RELATIVE: what may still trade; ABSOLUTE: the whole size
    limit_price: int | None = None
    quantity_mode: str = "RELATIVE"
    process_before: int | None = None
    stop_price: int | None = None
    trailing_deviation: tuple[int, str] | None = None


class CancelAll(Command, frozen=True, tag="cancelall", rename={"account_id": "a", "symbol": "s"}):
    account_id: str
    symbol: str | None = None


class ArmDeadManSwitch(Command, frozen=True, tag="dms", rename={"account_id": "a", "timeout_seconds": "t"}):
    """Cancel every order of the account unless armed again within ``timeout_seconds`` (0 disarms)."""

    account_id: str
    timeout_seconds: int


class SetSelfTradeStrategy(Command, frozen=True, tag="stp", rename={"account_id": "a", "strategy": "v"}):
    account_id: str
    strategy: str


class CreateAccount(Command, frozen=True, tag="acct", rename={"balance": "usd8", "account_id": "uid"}):
    balance: int  # usd8
    account_id: str | None = None  # None: the next id of the exchange's sequence


class SetPrices(Command, frozen=True, tag="prices", rename={"symbol": "s"}):
    """Move the mark and/or the index of a contract (the control API)."""

    symbol: str
    mark: int | None = None
    index: int | None = None


class SetMarkPrice(Command, frozen=True, tag="mark", rename={"symbol": "s", "price": "p"}):
    """Journals of the first releases moved the mark alone: applied as ``SetPrices(mark=price)``."""

    symbol: str
    price: int


class PublishIndex(Command, frozen=True, tag="index", rename={"symbol": "s", "price": "p"}):
    """A price source published the index; the mark follows from it and the book."""

    symbol: str
    price: int


class SetMarketState(Command, frozen=True, tag="state", rename={"symbol": "s", "state": "v"}):
    symbol: str
    state: str  # open | suspended | inactive | post_only


class Tick(Command, frozen=True, tag="tick"):
    """Nothing but time passing: whatever has fallen due (switches, funding, expiries) happens."""


class SeedPast(Command, frozen=True, tag="past", rename={"seed": "s", "days": "d"}):
    """Give a fresh venue a past derived from ``seed``: ``days`` of one-minute history (engine/past.py),
    written into the projections at once and computed again when the command is replayed."""

    seed: int
    days: int


SCENARIO_NAMES = ("crash", "squeeze", "volatility", "drought", "halt", "funding_spike", "replay")


class RunScenario(Command, frozen=True, tag="scenario", rename={
    "name": "nm", "start": "t", "duration": "dt", "target": "s", "amount": "v", "path": "p",  # ("k", "n": the stamp)
}):
    """A named market scenario (market/scenarios.py) from ``start`` (epoch ms) for ``duration`` ms: the
    simulated market's agents read it on the exchange clock. ``amount``: the scenario's size (bp of price,
    percent of volatility or depth, bp of premium); ``path``: a replay's (ms from start, price in 1e-8) rows."""

    name: str
    start: int
    duration: int
    target: str = ""  # an underlying (XBT) or a symbol (halt); "" every one
    amount: int = 0
    path: tuple[tuple[int, int], ...] = ()


ENGINE_COMMANDS: tuple[type[Command], ...] = (
    PlaceOrder, CancelOrder, EditOrder, CancelAll, ArmDeadManSwitch, SetSelfTradeStrategy, CreateAccount,
    SetPrices, SetMarkPrice, PublishIndex, SetMarketState, Tick, SeedPast, RunScenario,
)


class CommandCodec:
    """The journal encoding of the engine's commands and of ``extra`` ones (the runtime's keys)."""

    def __init__(self, extra: tuple[type[Command], ...] = ()) -> None:
        self.types: Any = Union[ENGINE_COMMANDS + extra]  # noqa: UP007 - a Union built at run time
        self._encoder = msgspec.json.Encoder()
        self._decoder: msgspec.json.Decoder[Command] = msgspec.json.Decoder(self.types)

    def encode(self, command: Command) -> bytes:
        return self._encoder.encode(command)

    def decode(self, data: bytes) -> Command:
        """One journaled command; unknown keys (the runtime's key and nonce) are ignored."""
        return self._decoder.decode(data)

    def from_record(self, record: dict[str, Any]) -> Command:
        """A command from its journal record already parsed into a dict."""
        command: Command = msgspec.convert(record, self.types)
        return command


CODEC = CommandCodec()
