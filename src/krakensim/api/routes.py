"""Kraken's paths: which handler answers each, for which methods and keys, and which only read."""

from __future__ import annotations

from ..runtime.keys import FULL
from . import (
    account,
    account_log,
    charts,
    fees_funding,
    history,
    initial_margin,
    market,
    notifications,
    orders,
    portfolio_margin,
    positions_history,
    preferences,
    risk_endpoints,
    transfers,
)
from .request import READ, Route

D = "/derivatives/api/v3/"
POST = ("POST",)
ROUTES: dict[str, Route] = {
    D + "sendorder": Route(orders.sendorder, POST, FULL, writes=POST,
                           required=(("orderType",), ("symbol",), ("side",), ("size",))),
    D + "cancelorder": Route(orders.cancelorder, POST, FULL, writes=POST, required=(("order_id", "cliOrdId"),)),
    D + "editorder": Route(orders.editorder, POST, FULL, writes=POST, required=(("orderId", "cliOrdId"),)),
    D + "cancelallorders": Route(orders.cancelallorders, POST, FULL, writes=POST),
    D + "cancelallordersafter": Route(orders.cancelallordersafter, POST, FULL, writes=POST),
    D + "self-trade-strategy": Route(orders.self_trade_strategy, ("GET", "PUT"), READ, writes=("PUT",),
                                     required=(("strategy",),)),
    D + "batchorder": Route(orders.batchorder, POST, FULL, json_body=True, writes=POST, required=(("json",),)),
    D + "openorders": Route(orders.openorders, ("GET",), READ),
    D + "orders/status": Route(orders.orders_status, ("GET", "POST"), FULL),
    D + "fills": Route(account.fills, ("GET",), READ),
    D + "accounts": Route(account.accounts, ("GET",), READ),
    D + "openpositions": Route(account.openpositions, ("GET",), READ),
    D + "unwindqueue": Route(risk_endpoints.unwindqueue, ("GET",), READ),
    D + "assignmentprogram/current": Route(risk_endpoints.current, ("GET",), READ),
    D + "assignmentprogram/history": Route(risk_endpoints.history, ("GET",), READ),
    D + "assignmentprogram/add": Route(risk_endpoints.add, POST, READ, writes=POST, required=(
        ("contractType",), ("acceptLong",), ("acceptShort",), ("timeFrame",), ("enabled",))),
    D + "assignmentprogram/delete": Route(risk_endpoints.delete, POST, READ, writes=POST, required=(("id",),)),
    D + "instruments": Route(market.instruments, ("GET",), None),
    D + "instruments/status": Route(market.instruments_status, ("GET",), None),
    D + "trading/instruments": Route(market.trading_instruments, ("GET",), READ),
    D + "tickers": Route(market.tickers, ("GET",), None),
    D + "orderbook": Route(market.orderbook, ("GET",), None),
    D + "history": Route(history.trade_history, ("GET",), None),
    D + "feeschedules": Route(fees_funding.feeschedules, ("GET",), None),
    D + "feeschedules/volumes": Route(fees_funding.feeschedules_volumes, ("GET",), READ),
    D + "historical-funding-rates": Route(fees_funding.historical_funding_rates, ("GET",), None),
    "/derivatives/api/v4/historicalfundingrates": Route(fees_funding.historical_funding_rates, ("GET",), None),
    D + "notifications": Route(notifications.notifications, ("GET",), READ),
}
ROUTES.update({
    D + "leveragepreferences": Route(preferences.leveragepreferences, ("GET", "PUT"), READ, writes=("PUT",),
                                     required=(("symbol",),)),
    D + "pnlpreferences": Route(preferences.pnlpreferences, ("GET", "PUT"), READ, writes=("PUT",),
                                required=(("symbol",), ("pnlPreference",))),
    D + "transfer": Route(transfers.transfer, POST, FULL, writes=POST,
                          required=(("fromAccount",), ("toAccount",), ("unit",), ("amount",))),
    D + "transfer/subaccount": Route(transfers.transfer_subaccount, POST, FULL, writes=POST, required=(
        ("fromUser",), ("toUser",), ("fromAccount",), ("toAccount",), ("unit",), ("amount",))),
    D + "withdrawal": Route(transfers.withdrawal, POST, FULL, writes=POST, required=(("currency",), ("amount",))),
    D + "subaccounts": Route(transfers.subaccounts, ("GET",), READ),
})
# read-only calculations: ``required`` documents the arguments (a read route's handler refuses their absence)
ROUTES.update({
    D + "portfolio-margining/parameters": Route(portfolio_margin.parameters, ("GET",), READ),
    D + "portfolio-margining/simulate": Route(portfolio_margin.simulate, POST, READ, json_body=True,
                                              required=(("json",),)),
    D + "initialmargin": Route(initial_margin.initialmargin, ("GET",), READ,
                               required=(("orderType",), ("symbol",), ("side",), ("size",))),
    D + "initialmargin/maxordersize": Route(initial_margin.maxordersize, ("GET",), READ,
                                            required=(("orderType",), ("symbol",))),
})
# the commands a subaccount whose trading its master disabled is refused (accountInactive)
TRADING = frozenset({D + "sendorder", D + "editorder", D + "batchorder"})
for _v in ("v2", "v3"):
    ROUTES[f"/api/history/{_v}/orders"] = Route(history.account_orders, ("GET",), READ)
    ROUTES[f"/api/history/{_v}/triggers"] = Route(history.account_triggers, ("GET",), READ)
    ROUTES[f"/api/history/{_v}/executions"] = Route(history.account_executions, ("GET",), READ)
    ROUTES[f"/api/history/{_v}/account-log"] = Route(account_log.account_log, ("GET",), READ)
    ROUTES[f"/api/history/{_v}/accountlogcsv"] = Route(account_log.account_log_csv, ("GET",), READ)
    ROUTES[f"/api/history/{_v}/positions"] = Route(positions_history.positions, ("GET",), READ)

# path templates with one argument: prefix, suffix
PATTERNS: list[tuple[str, str, Route]] = [
    (D + "subaccount/", "/trading-enabled", Route(transfers.trading_enabled, ("GET", "PUT"), FULL, writes=("PUT",),
                                                  required=(("tradingEnabled",),))),
    (D + "tickers/", "", Route(market.ticker, ("GET",), None)),
    (D + "instruments/", "/status", Route(market.instrument_status, ("GET",), None)),
]
for _v in ("v3", "v2"):
    PATTERNS += [
        (f"/api/history/{_v}/market/", "/executions", Route(history.market_executions, ("GET",), None)),
        (f"/api/history/{_v}/market/", "/orders", Route(history.market_orders, ("GET",), None)),
        (f"/api/history/{_v}/market/", "/price", Route(history.market_price, ("GET",), None)),
    ]

ADMIN_PREFIX = "/_krakensim/"
CHARTS = Route(charts.charts, ("GET",), None)
