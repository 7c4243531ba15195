"""A tiny market-making bot: quote one bid and one ask around the mark price, and cancel them."""

from __future__ import annotations

from typing import Any

SYMBOL = "BTC/USD:USD"


def quote(exchange: Any, size: float, half_spread: float) -> list[str]:
    """Place a bid and an ask ``half_spread`` (a fraction) around the mark price; their order ids."""
    mark = float(exchange.fetch_ticker(SYMBOL)["info"]["markPrice"])
    bid = exchange.create_order(SYMBOL, "limit", "buy", size, round(mark * (1 - half_spread)))
    ask = exchange.create_order(SYMBOL, "limit", "sell", size, round(mark * (1 + half_spread)))
    return [bid["id"], ask["id"]]


def pull(exchange: Any) -> int:
    """Cancel every open order; how many there were."""
    open_orders = exchange.fetch_open_orders(SYMBOL)
    for order in open_orders:
        exchange.cancel_order(order["id"], SYMBOL)
    return len(open_orders)
