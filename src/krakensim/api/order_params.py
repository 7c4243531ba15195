"""sendorder's and editorder's parameters (also a batch's instructions) as engine commands.

Request-level faults raise ``ApiError``. A plain order the gateway refuses is answered with a
status alone; a trigger order it finds malformed becomes a command carrying the OrderError
(``refusal``), which the engine refuses with a REJECT event, as Kraken does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from ..engine.commands import PlaceOrder
from ..engine.instruments import Instrument
from ..engine.orders import ORDER_TYPES, TRIGGER_TYPES
from ..engine.triggers import INDEX, LAST, MARK, PERCENT, QUOTE
from ..engine.units import BUY, SELL
from .errors import INVALID, REQUIRED, ApiError
from .params import parse_bool, parse_decimal
from .request import Request

MAX_CLI_ORD_ID = 100
SIGNALS = {"mark": MARK, "index": INDEX, "spot": INDEX, "last": LAST}
UNITS = (PERCENT, QUOTE)
HUNDRED = Decimal(100)


class ParamSource(Protocol):
    def get(self, name: str) -> str | None: ...


def side_of(text: str) -> int:
    if text == "buy":
        return BUY
    if text == "sell":
        return SELL
    raise ApiError(INVALID)


def required(p: ParamSource, name: str) -> str:
    v = p.get(name)
    if v is None or v == "":
        raise ApiError(REQUIRED)
    return str(v)


def optional_decimal(p: ParamSource, name: str) -> Decimal | None:
    v = p.get(name)
    return parse_decimal(str(v)) if v not in (None, "") else None


def parse_send(req: Request, p: ParamSource) -> tuple[Instrument, PlaceOrder | str]:
    """The command of a sendorder (or a batch ``send``), or the status that refuses it at once."""
    order_type = required(p, "orderType")
    symbol = required(p, "symbol")
    side_text = required(p, "side")
    size_text = required(p, "size")
    if order_type not in ORDER_TYPES:
        raise ApiError(INVALID)
    side = side_of(side_text)
    size = parse_decimal(size_text)
    limit = optional_decimal(p, "limitPrice")
    reduce_text = p.get("reduceOnly")
    reduce_only = parse_bool(reduce_text) if reduce_text not in (None, "") else False
    cli = p.get("cliOrdId") or None
    inst = req.instrument(symbol)
    trigger = order_type in TRIGGER_TYPES
    signal_text = p.get("triggerSignal")
    signal = LAST
    if signal_text not in (None, ""):
        signal = SIGNALS.get(str(signal_text), "")
        if not signal:
            raise ApiError(INVALID)
    stop = optional_decimal(p, "stopPrice")
    offset_value = p.get("limitPriceOffsetValue")
    offset_unit = p.get("limitPriceOffsetUnit")
    has_offset = offset_value not in (None, "") or offset_unit not in (None, "")
    if has_offset and not trigger:
        raise ApiError(INVALID)
    if order_type in ("stp", "take_profit") and stop is None:
        raise ApiError(REQUIRED)
    if order_type == "trailing_stop" and (
        p.get("trailingStopMaxDeviation") in (None, "") or p.get("trailingStopDeviationUnit") in (None, "")
    ):
        raise ApiError(REQUIRED)
    if not trigger and order_type != "mkt" and limit is None:
        raise ApiError(REQUIRED)
    if cli is not None and not cli.isprintable():
        return inst, "clientOrderIdInvalid"
    refusal = None
    if cli is not None and len(cli) > MAX_CLI_ORD_ID:
        if not trigger:
            return inst, "clientOrderIdTooBig"
        refusal = "CLIENT_ORDER_ID_TOO_LONG"
    lots = inst.size_to_lots(size)
    if lots is None:
        if not trigger:
            return inst, "invalidSize"
        refusal = refusal or "INVALID_QUANTITY"
    fields: dict[str, Any] = {"client_order_id": cli, "reduce_only": reduce_only}
    if limit is not None and order_type != "mkt":
        ticks = inst.price_to_ticks(limit)
        if ticks is None:
            if not trigger:
                return inst, "invalidPrice"
            refusal = "INVALID_PRICE"  # (it wins over a client id or a size refused before it)
        fields["limit_price"] = ticks
    if trigger:
        fields["trigger_signal"] = signal
        stop_ticks = None
        if order_type == "trailing_stop":
            if stop is not None or limit is not None:
                refusal = refusal or ("ORDER_CANNOT_HAVE_TRIGGER_PRICE" if stop is not None else "INVALID_PRICE")
            deviation = trailing_deviation(req, inst, p, signal)
            if isinstance(deviation, str):
                refusal = refusal or deviation
            else:
                fields["trailing_deviation"] = deviation
        else:
            assert stop is not None
            stop_ticks = inst.price_to_ticks(stop)
            if stop_ticks is None:
                refusal = refusal or "INVALID_PRICE"
            fields["stop_price"] = stop_ticks
        if has_offset:
            off = limit_offset(inst, offset_value, offset_unit, limit is not None, stop_ticks)
            if isinstance(off, str):
                refusal = refusal or off
            else:
                fields["limit_offset"] = off
    return inst, PlaceOrder(req.account_id, inst.symbol, side, order_type, lots or 0, refusal=refusal, **fields)


def _hundredths(d: Decimal) -> int | None:
    """A percentage as an integer number of hundredths, or None with more than 2 decimals."""
    h = d * HUNDRED
    return int(h) if h == h.to_integral_value() else None


def trailing_deviation(req: Request, inst: Instrument, p: ParamSource, signal: str) -> tuple[int, str] | str:
    """A trailing stop's deviation (hundredths of a percent or ticks), or the OrderError refusing it."""
    unit = str(p.get("trailingStopDeviationUnit"))
    if unit not in UNITS:
        raise ApiError(INVALID)
    value = parse_decimal(str(p.get("trailingStopMaxDeviation")))
    if unit == PERCENT:
        h = _hundredths(value)
        if h is None:
            return "TRAILING_STOP_PERCENT_DEVIATION_EXCEEDS_MAX_DECIMAL_PLACES"
        if h < 10:
            return "TRAILING_STOP_MAX_DEVIATION_TOO_SMALL"
        if h > 5000:
            return "TRAILING_STOP_MAX_DEVIATION_TOO_LARGE"
        return h, PERCENT
    if value <= 0:
        return "TRAILING_STOP_MAX_DEVIATION_TOO_SMALL"
    ticks = inst.price_to_ticks(value)
    if ticks is None:
        return "TRAILING_STOP_QUOTE_DEVIATION_NOT_MULTIPLE_OF_TICK_SIZE"
    reference = req.rt.exchange.pricing.signals(inst.symbol)[signal]
    if ticks * 2 > reference:  # more than 50 % of the price
        return "TRAILING_STOP_MAX_DEVIATION_TOO_LARGE"
    return ticks, QUOTE


def limit_offset(inst: Instrument, value: Any, unit: Any, has_limit: bool,
                 stop_ticks: int | None) -> tuple[int, str] | str:
    """A trigger's relative limit (hundredths of a percent or ticks), or the OrderError refusing it."""
    if value in (None, "") or unit in (None, ""):
        return "LIMIT_PRICE_OFFSET_MUST_HAVE_VALUE_AND_UNIT"
    if unit not in UNITS:
        return "LIMIT_PRICE_OFFSET_UNIT_INVALID"
    try:
        v = parse_decimal(str(value))
    except ApiError:
        return "LIMIT_PRICE_OFFSET_VALUE_INVALID"
    if has_limit:
        return "LIMIT_PRICE_SET_AS_ABSOLUTE_AND_RELATIVE"
    if unit == PERCENT:
        h = _hundredths(v)
        if h is None:
            return "LIMIT_PRICE_OFFSET_PERCENT_VALUE_TOO_MANY_DECIMAL_PLACES"
        if h > 1000:
            return "LIMIT_PRICE_OFFSET_TOO_HIGH"
        if h < -1000:
            return "LIMIT_PRICE_OFFSET_TOO_LOW"
        return h, PERCENT
    sign = -1 if v < 0 else 1
    ticks = inst.price_to_ticks(abs(v)) if v != 0 else 0
    if ticks is None:
        return "LIMIT_PRICE_OFFSET_QUOTE_CURRENCY_VALUE_MUST_BE_MULTIPLE_OF_TICK_SIZE"
    if stop_ticks is not None and ticks * 10 > stop_ticks:  # more than 10 % of the stop price
        return "LIMIT_PRICE_OFFSET_TOO_HIGH" if sign > 0 else "LIMIT_PRICE_OFFSET_TOO_LOW"
    return sign * ticks, QUOTE
