"""Account log entries as Kraken writes them: the History API's AccountLogEntry and the CSV row.

One engine entry (``AccountLogged``) is one row. A position's leg (``asset`` is its contract) shows
sizes in contracts and entry prices; a wallet's leg shows 1e-8 units of its asset (USD, XBT…) and,
when it belongs to a trade or a settlement, the realised PnL and the fee. Whatever ``info`` an entry
brings (funding, liquidation, transfers, conversions) is rendered the same way: a field the entry
does not carry is ``null``, as in Kraken's samples.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ...engine.events import AccountLogged
from ...engine.instruments import Instrument
from .numbers import iso, price_out, signed_size_out, usd_out

InstrumentOf = Callable[[str], Instrument]

# the spec's enum of the ``info`` filter (AccountLogEntry.info's, and two tax entries)
INFOS = (
    "futures trade", "futures liquidation", "futures assignor", "futures assignee", "futures unwind counterparty",
    "futures unwind bankrupt", "covered liquidation", "funding rate change", "conversion", "interest payment",
    "transfer", "cross-exchange transfer", "kfee applied", "subaccount transfer", "settlement", "admin transfer",
    "tax withheld", "tax refund",
)
LIQUIDATIONS = frozenset({"futures liquidation", "futures assignor", "futures assignee", "futures unwind counterparty",
                          "futures unwind bankrupt", "covered liquidation"})
FUNDING_RATE_SCALE = 10**12  # AccountLogged.funding_rate: relative, 1e-12 per hour
SPOT_SCALE = 10**8  # AccountLogged.conversion_spot_price: 1e-8 USD per unit

# Kraken's CSV export (header verbatim from exports of the live venue)
CSV_COLUMNS = ("uid", "dateTime", "account", "type", "symbol", "contract", "change", "new balance",
               "new average entry price", "trade price", "mark price", "funding rate", "realized pnl", "fee",
               "realized funding", "collateral", "conversion spread percentage", "liquidation fee", "position uid")
CSV_CONVERSION_COLUMNS = ("exchange rate", "exchange rate from", "conversion fee")


def is_position_leg(e: AccountLogged) -> bool:
    return e.symbol is not None and e.asset == e.symbol


def _entry_price(inst: Instrument, lots: int, cost: int) -> float | None:
    # = average_price_out(inst, Fraction(abs(cost), abs(lots))): int / int is the Fraction's float, without one
    return abs(cost) / abs(lots) * inst.tick_num / inst.tick_den if lots else None


def account_log_entry(instrument_of: InstrumentOf, e: AccountLogged, conversion_details: bool = False
                      ) -> dict[str, Any]:
    """The AccountLogEntry of ``e`` (numbers as JSON numbers, absent values null)."""
    contract = e.symbol.lower() if e.symbol is not None else None
    inst = instrument_of(e.symbol) if e.symbol is not None else None
    trade = price_out(inst, e.trade_price) if inst is not None and e.trade_price is not None else None
    mark = price_out(inst, e.mark_price) if inst is not None and e.mark_price is not None else None
    old_entry = new_entry = None
    realized_pnl: int | float | None = None
    fee: int | float | None = None
    if is_position_leg(e):
        assert inst is not None and contract is not None
        asset = contract
        old: int | float = signed_size_out(inst, e.old_balance)
        new: int | float = signed_size_out(inst, e.new_balance)
        old_entry, new_entry = _entry_price(inst, e.old_balance, e.old_cost), _entry_price(inst, e.new_balance,
                                                                                          e.new_cost)
    else:
        asset = e.asset.lower()
        old, new = usd_out(e.old_balance), usd_out(e.new_balance)
        if e.trade_price is not None or e.info in LIQUIDATIONS:  # a trade's wallet leg: its PnL and its fee
            realized_pnl, fee = usd_out(e.realized_pnl), usd_out(e.fee)
        elif e.fee:
            fee = usd_out(e.fee)
    funding_rate = None
    if e.funding_rate is not None:
        rate = Fraction(e.funding_rate, FUNDING_RATE_SCALE)
        if inst is not None and e.mark_price is not None:  # Kraken's is absolute: USD per contract per hour
            rate *= Fraction(e.mark_price * inst.tick_num, inst.tick_den)
        funding_rate = float(rate)
    d: dict[str, Any] = {
        "id": e.entry_id,
        "date": iso(e.time),
        "asset": asset,
        "contract": contract,
        "info": e.info,
        "booking_uid": e.booking_uid,
        "margin_account": e.margin_account,
        "old_balance": old,
        "new_balance": new,
        "old_average_entry_price": old_entry,
        "new_average_entry_price": new_entry,
        "trade_price": trade,
        "mark_price": mark,
        "realized_pnl": realized_pnl,
        "fee": fee,
        "execution": e.execution or None,
        "collateral": None,  # the flex wallet's entries name no collateral (Kraken's samples: null)
        "funding_rate": funding_rate,
        "realized_funding": usd_out(e.realized_funding) if e.realized_funding or e.funding_rate is not None
        else None,
        "conversion_spread_percentage": None,
        "liquidation_fee": usd_out(e.liquidation_fee) if e.liquidation_fee or e.info in LIQUIDATIONS else None,
    }
    if conversion_details and e.conversion_spot_price is not None:
        d["exchange_rate"] = e.conversion_spot_price / SPOT_SCALE
        d["exchange_rate_from"] = e.asset.upper()
    return d


def _csv_number(v: int | float | None) -> str:
    """A number as plain decimal text (never an exponent); empty for null."""
    if v is None:
        return ""
    r = repr(v)
    return format(Decimal(r), "f") if "e" in r else r  # (a float's repr is exact and short but for exponents)


def _csv_time(ms: int) -> str:
    """``2026-06-06 12:07:02``: the export's dateTime (seconds, no zone), cut from the cached ISO time."""
    t = iso(ms)
    return t[:10] + " " + t[11:19]


def _csv_text(s: str | None) -> str:
    if s is None:
        return ""
    if '"' in s or "," in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_row(instrument_of: InstrumentOf, entry: dict[str, Any], e: AccountLogged, conversion_details: bool) -> str:
    """One line of the CSV export from the entry's AccountLogEntry (``change`` exact from the entry's integers)."""
    delta = e.new_balance - e.old_balance
    if is_position_leg(e):
        change = signed_size_out(instrument_of(e.asset), delta)
    else:
        change = usd_out(delta)
    n = _csv_number
    cells = [
        _csv_text(entry["booking_uid"]), _csv_time(e.time), _csv_text(entry["margin_account"]), _csv_text(entry["info"]),
        _csv_text(entry["asset"]), _csv_text(entry["contract"]), n(change), n(entry["new_balance"]),
        n(entry["new_average_entry_price"]), n(entry["trade_price"]), n(entry["mark_price"]), n(entry["funding_rate"]),
        n(entry["realized_pnl"]), n(entry["fee"]), n(entry["realized_funding"]), _csv_text(entry["collateral"]),
        n(entry["conversion_spread_percentage"]), n(entry["liquidation_fee"]), "",
    ]
    if conversion_details:
        cells += [n(entry.get("exchange_rate")), _csv_text(entry.get("exchange_rate_from")), ""]
    return ",".join(cells)
