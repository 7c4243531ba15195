"""The legacy ``initialmargin`` and ``initialmargin/maxordersize`` over the wire (no schema in Kraken's
OpenAPI: types checked here by hand): the margin an order needs at its limit or 1 % through the best
opposite price, the liquidation price of the position it leads to, and the largest orders the available
margin allows, which sendorder then accepts (one lot more it refuses)."""

from __future__ import annotations

from decimal import ROUND_FLOOR
from decimal import Decimal as D
from typing import Any

import pytest

from apihelpers import XBT_ID, Creds, Venue, instruments, send_ok, tiered

USD = D(10000)  # the account's funds
LOT = D("0.0001")  # PF_XBTUSD's lot


def legacy(venue: Venue, creds: Creds, endpoint: str, query: str) -> dict[str, Any]:
    with venue.recorder.unvalidated():  # not in the OpenAPI: checked by hand below
        out = venue.raw(creds).v3json("GET", endpoint, query)
    assert isinstance(out.get("serverTime"), str), out
    return out


def numbers(out: dict[str, Any], *names: str) -> list[float | None]:
    for n in names:
        assert out[n] is None or (isinstance(out[n], (int, float)) and not isinstance(out[n], bool)), (n, out)
    return [out[n] for n in names]


@pytest.fixture
def market(venue: Venue) -> Venue:
    """PF_XBTUSD at 90 000 with one resting ask at 90 000 and no bids."""
    venue.prices(XBT_ID, mark=90000, index=90000)
    send_ok(venue.raw(venue.account()).v3json("POST", "sendorder",
                                              f"orderType=lmt&symbol={XBT_ID}&side=sell&size=3&limitPrice=90000"))
    return venue


def liquidation_tick(side: int, size: D, entry: D, mm_rate: D) -> D:
    """The first tick at which equity (USD + PnL) no longer exceeds maintenance margin (first tier)."""
    if side > 0:  # USD + size × (x − entry) ≤ mm × size × x
        return ((size * entry - USD) / (size * (1 - mm_rate))).to_integral_value(ROUND_FLOOR)
    return -((-(USD + size * entry) / (size * (1 + mm_rate))).to_integral_value(ROUND_FLOOR))


def test_initial_margin_of_a_market_and_a_limit_order(market: Venue) -> None:
    a = market.account(str(USD))
    levels = instruments(market)[XBT_ID]["marginLevels"]
    out = legacy(market, a, "initialmargin", f"orderType=mkt&symbol={XBT_ID}&side=buy&size=1")
    im, liq, price = numbers(out, "initialMargin", "estimatedLiquidationThreshold", "price")
    assert price == 90900  # 1 % through the best ask
    assert im == pytest.approx(float(tiered(levels, D(90900), "initialMargin")))
    assert liq == liquidation_tick(1, D(1), D(90900), D("0.01")) == 81717
    out = legacy(market, a, "initialmargin", f"orderType=lmt&symbol={XBT_ID}&side=sell&size=0.5&limitPrice=95000")
    im, liq, price = numbers(out, "initialMargin", "estimatedLiquidationThreshold", "price")
    assert price == 95000 and im == pytest.approx(float(tiered(levels, D(47500), "initialMargin")))
    assert liq == liquidation_tick(-1, D("0.5"), D(95000), D("0.01")) == 113862
    # no bids: a market sell has no price
    out = legacy(market, a, "initialmargin", f"orderType=mkt&symbol={XBT_ID}&side=sell&size=1")
    assert numbers(out, "initialMargin", "estimatedLiquidationThreshold", "price") == [None, None, None]


def test_initial_margin_is_what_the_position_adds(market: Venue) -> None:
    """A buy that adds to a long needs the tiered margin of the larger position less that of the smaller."""
    a = market.account("1000000")
    send_ok(market.raw(a).v3json("POST", "sendorder", f"orderType=ioc&symbol={XBT_ID}&side=buy&size=3"
                                                      "&limitPrice=90000"))
    levels = instruments(market)[XBT_ID]["marginLevels"]
    out = legacy(market, a, "initialmargin", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=4&limitPrice=90000")
    added = tiered(levels, D(7 * 90000), "initialMargin") - tiered(levels, D(3 * 90000), "initialMargin")
    assert added > tiered(levels, D(4 * 90000), "initialMargin")  # the position crosses into the 4 % level
    assert out["initialMargin"] == pytest.approx(float(added))


def test_an_inverse_contract_is_margined_in_its_base_currency(market: Venue) -> None:
    """PI_XBTUSD's margin comes from the account's fi_xbtusd: figures in bitcoin (none held: no order fits)."""
    a = market.account()
    market.prices("PI_XBTUSD", mark=90000, index=90000)
    levels = instruments(market)["PI_XBTUSD"]["marginLevels"]
    out = legacy(market, a, "initialmargin", "orderType=lmt&symbol=PI_XBTUSD&side=buy&size=1000&limitPrice=90000")
    xbt = (tiered(levels, D(1000), "initialMargin") / 90000).quantize(D("1e-8"), ROUND_FLOOR)
    assert D(str(out["initialMargin"])) == xbt == D("0.00022222") and out["price"] == 90000
    out = legacy(market, a, "initialmargin/maxordersize", "orderType=lmt&symbol=PI_XBTUSD&limitPrice=90000")
    assert numbers(out, "maxBuySize", "maxSellSize") == [0, 0]


def max_size(levels: list[dict[str, Any]], price: D, funds: D) -> D:
    size = D(0)
    while tiered(levels, (size + LOT) * price, "initialMargin") <= funds:
        size += LOT
    return size


def test_max_order_size_is_what_sendorder_accepts(market: Venue) -> None:
    a = market.account(str(USD))
    levels = instruments(market)[XBT_ID]["marginLevels"]
    out = legacy(market, a, "initialmargin/maxordersize", f"orderType=lmt&symbol={XBT_ID}&limitPrice=89000")
    buy, sell, bp, sp = numbers(out, "maxBuySize", "maxSellSize", "buyPrice", "sellPrice")
    guess = (USD / (D(89000) * D("0.02"))).quantize(LOT, ROUND_FLOOR)  # 5.6179: first level only
    assert D(str(buy)) == D(str(sell)) == guess == max_size(levels, D(89000), USD) and bp == sp == 89000
    raw = market.raw(a)
    more = raw.v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=buy&size={guess + LOT}"
                                           "&limitPrice=89000")
    assert more["sendStatus"]["status"] == "insufficientAvailableFunds", more
    send_ok(raw.v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=buy&size={guess}&limitPrice=89000"))
    out = legacy(market, a, "initialmargin/maxordersize", f"orderType=lmt&symbol={XBT_ID}&limitPrice=89000")
    assert numbers(out, "maxBuySize", "maxSellSize") == [0, 0]  # the resting buy holds the margin


def test_max_order_size_of_market_orders(market: Venue) -> None:
    a = market.account(str(USD))
    out = legacy(market, a, "initialmargin/maxordersize", f"orderType=mkt&symbol={XBT_ID}")
    buy, sell, bp, sp = numbers(out, "maxBuySize", "maxSellSize", "buyPrice", "sellPrice")
    assert bp == 90900 and (sell, sp) == (None, None)  # no bids: no market to sell into
    assert D(str(buy)) == (USD / (D(90900) * D("0.02"))).quantize(LOT, ROUND_FLOOR)


def test_a_suspended_market(market: Venue) -> None:
    a = market.account(str(USD))
    market.market_state("suspended")
    out = legacy(market, a, "initialmargin", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=1&limitPrice=90000")
    assert out["error"] == "MARKET_SUSPENDED" and numbers(out, "initialMargin", "price") == [0, 0]
    out = legacy(market, a, "initialmargin/maxordersize", f"orderType=lmt&symbol={XBT_ID}&limitPrice=90000")
    assert numbers(out, "maxBuySize", "maxSellSize", "buyPrice", "sellPrice") == [None, None, 90000, 90000]


@pytest.mark.parametrize(("endpoint", "query", "error"), [
    ("initialmargin", f"symbol={XBT_ID}&side=buy&size=1", "requiredArgumentMissing"),
    ("initialmargin", "orderType=mkt&side=buy&size=1", "requiredArgumentMissing"),
    ("initialmargin", f"orderType=mkt&symbol={XBT_ID}&size=1", "requiredArgumentMissing"),
    ("initialmargin", f"orderType=mkt&symbol={XBT_ID}&side=buy", "requiredArgumentMissing"),
    ("initialmargin", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=1", "requiredArgumentMissing"),
    ("initialmargin", f"orderType=stp&symbol={XBT_ID}&side=buy&size=1", "invalidArgument"),
    ("initialmargin", "orderType=mkt&symbol=PF_DOGGO&side=buy&size=1", "invalidArgument"),
    ("initialmargin", f"orderType=mkt&symbol={XBT_ID}&side=up&size=1", "invalidArgument"),
    ("initialmargin", f"orderType=mkt&symbol={XBT_ID}&side=buy&size=0.00001", "invalidArgument"),
    ("initialmargin", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=1&limitPrice=0.5", "invalidArgument"),
    ("initialmargin/maxordersize", f"symbol={XBT_ID}", "requiredArgumentMissing"),
    ("initialmargin/maxordersize", f"orderType=lmt&symbol={XBT_ID}", "requiredArgumentMissing"),
    ("initialmargin/maxordersize", "orderType=mkt&symbol=PF_DOGGO", "invalidArgument"),
])
def test_refusals(venue: Venue, endpoint: str, query: str, error: str) -> None:
    out = legacy(venue, venue.account(), endpoint, query)
    assert (out["result"], out["error"]) == ("error", error), out
