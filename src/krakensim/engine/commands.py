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


class CreateAccount(Command, frozen=True, tag="acct", rename={"balance": "usd8", "account_id": "uid", "market_agent": "agent"}):
    balance: int  # usd8
    account_id: str | None = None  # None: the next id of the exchange's sequence
    master: str | None = None  # a subaccount of this account
    funds: tuple[tuple[str, str, int], ...] = ()  # (wallet, currency, 1e-8 units) beside the USD
    inverse_in_base: bool = False  # inverse contracts margined in base currency (False: as journals before)
    market_agent: bool = False  # the simulated market's: no margin checks, no liquidation (Account.market_agent)


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


class MoveFunds(Command, frozen=True, tag="funds", rename={"account_id": "a", "wallet": "w", "currency": "u",
                                                             "quantity": "q"}):
    """The control API deposits (quantity > 0) or withdraws (< 0) collateral: 1e-8 units of ``currency``."""

    account_id: str
    currency: str
    quantity: int
    wallet: str = "flex"


class SetCollateralPrice(Command, frozen=True, tag="collprice", rename={"currency": "u", "price": "p"}):
    """The index of a collateral currency without a contract (usd8 per unit)."""

    currency: str
    price: int


class Transfer(Command, frozen=True, tag="transfer", rename={
    "account_id": "a", "from_wallet": "fw", "to_wallet": "tw", "currency": "u", "quantity": "q",
    "from_account": "fa", "to_account": "ta",
}):
    """``transfer`` between the wallets of ``account_id``, or ``transfer/subaccount`` between it and its
    subaccounts (``from_account``/``to_account``: None is ``account_id``)."""

    account_id: str
    from_wallet: str
    to_wallet: str
    currency: str
    quantity: int
    from_account: str | None = None
    to_account: str | None = None


class WithdrawToSpot(Command, frozen=True, tag="withdraw", rename={"account_id": "a", "currency": "u",
                                                                   "quantity": "q", "wallet": "w"}):
    account_id: str
    currency: str
    quantity: int
    wallet: str = "cash"


class SetLeveragePreference(Command, frozen=True, tag="leverage", rename={"account_id": "a", "symbol": "s",
                                                                          "max_leverage": "l"}):
    account_id: str
    symbol: str
    max_leverage: int | None = None  # hundredths; None: cross margin


class SetPnlPreference(Command, frozen=True, tag="pnlpref", rename={"account_id": "a", "symbol": "s",
                                                                    "currency": "u"}):
    account_id: str
    symbol: str
    currency: str  # Kraken's name (BTC, not XBT)


class SetSubaccountTrading(Command, frozen=True, tag="subtrading", rename={"account_id": "a", "subaccount": "sub",
                                                                          "enabled": "on"}):
    account_id: str  # the master
    subaccount: str
    enabled: bool


class PostNotification(Command, frozen=True, tag="notify", rename={  # (not "k"/"n": the stamp's keys)
    "kind": "kd", "priority": "pr", "note": "nt", "effective_time": "at", "expected_downtime_minutes": "dt",
}):
    """Announce something to every account (the control API): REST notifications, notifications_auth."""

    kind: str  # market | general | new_feature | bug_fix | maintenance | settlement
    priority: str  # low | medium | high
    note: str
    effective_time: int | None = None  # epoch ms; None: when it is applied
    expected_downtime_minutes: int | None = None


class SeedPast(Command, frozen=True, tag="past", rename={"seed": "s", "days": "d"}):
    """Give a fresh venue a past derived from ``seed``: ``days`` of one-minute history (engine/past.py),
    written into the projections at once and computed again when the command is replayed."""

    seed: int
    days: int


SCENARIO_NAMES = ("crash", "squeeze", "volatility", "drought", "halt", "funding_spike", "replay")


class RunScenario(Command, frozen=True, tag="scenario", rename={  # (not "k"/"n": the stamp's keys)
    "name": "nm", "start": "t", "duration": "dt", "target": "s", "amount": "v", "path": "p",
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


class AddAssignmentPreference(Command, frozen=True, tag="apadd", rename={
    "account_id": "a", "contract_type": "ct", "contract": "s", "max_size": "ms", "max_position": "mp",
    "accept_long": "l", "accept_short": "sh", "time_frame": "tf", "enabled": "on",
}):
    """Offer to take over positions a liquidation could not close (sizes in 1e-8 contracts)."""

    account_id: str
    contract_type: str
    accept_long: bool
    accept_short: bool
    time_frame: str  # all | weekdays | weekends
    enabled: bool
    contract: str | None = None
    max_size: int | None = None
    max_position: int | None = None


class DeleteAssignmentPreference(Command, frozen=True, tag="apdel", rename={"account_id": "a", "pref_id": "id"}):
    account_id: str
    pref_id: int


class Requote(Command, frozen=True, tag="requote", rename={"account_id": "a", "symbol": "s", "cancel": "x",
                                                         "place": "o", "move": "m"}):
    """A market maker's requote of one book as one command: cancel these of its orders, move these
    (order id, lots left open, limit ticks), then place these post-only orders (side, lots, limit
    ticks), in order, each as CancelOrder, EditOrder or PlaceOrder would (an order that is gone is
    skipped; a refused one is refused). One journal entry and one margin reading instead of one per
    order: post-only orders never trade, so the account's positions cannot change inside it."""

    account_id: str
    symbol: str
    cancel: tuple[str, ...] = ()
    place: tuple[tuple[int, int, int], ...] = ()
    move: tuple[tuple[str, int, int], ...] = ()


ENGINE_COMMANDS: tuple[type[Command], ...] = (
    PlaceOrder, CancelOrder, EditOrder, CancelAll, ArmDeadManSwitch, SetSelfTradeStrategy, CreateAccount,
    SetPrices, SetMarkPrice, PublishIndex, SetMarketState, Tick, MoveFunds, SetCollateralPrice, Transfer,
    WithdrawToSpot, SetLeveragePreference, SetPnlPreference, SetSubaccountTrading, PostNotification, SeedPast, RunScenario,
    AddAssignmentPreference, DeleteAssignmentPreference, Requote,
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
