"""The WebSocket schemas (tests/schemas/ws/) accept the spec's own messages and refuse the variants
the spec rules out (shared/spec/ws/: the examples and captures quoted there, README's differences)."""

from __future__ import annotations

from typing import Any

import pytest

from ws_schema import assert_valid_message, validation_errors

ORDER = {"instrument": "PF_XBTUSD", "time": 1612275209430, "last_update_time": 1612275209430, "qty": 1000,
         "filled": 0, "limit_price": 35058, "stop_price": 0, "type": "limit",
         "order_id": "7a2f793e-26f3-4987-a938-56d296a11560", "direction": 1, "reduce_only": False}
FILL = {"instrument": "PF_ETHUSD", "time": 1765185437003, "price": 3162.0, "seq": 1, "buy": True, "qty": 0.001,
        "remaining_order_qty": 0.0, "order_id": "a08aed17-f1a6-4db6-876c-2de5df84951c",
        "cli_ord_id": "b661bad0-7037-4b73-9e07-a65b515e4ef7", "fill_id": "6a22a3fb-e18e-4e76-b841-8689735c9158",
        "fill_type": "taker", "fee_paid": 0.001581, "fee_currency": "USD", "taker_order_type": "market",
        "order_type": "market"}
ZEROS = dict.fromkeys(("initial_margin", "initial_margin_without_orders", "maintenance_margin", "pnl",
                       "unrealized_funding", "total_unrealized", "total_unrealized_as_margin"), 0.0)

SPEC_MESSAGES: list[dict[str, Any]] = [
    {"event": "info", "version": 1},
    {"event": "challenge", "message": "226aee50-88fc-4618-a42a-34f7709570b2"},
    {"event": "subscribed", "feed": "ticker", "product_ids": ["PI_XBTUSD"]},
    {"event": "subscribed", "feed": "heartbeat"},
    {"event": "subscribed", "feed": "open_orders"},
    {"event": "unsubscribed", "feed": "ticker", "product_ids": ["PF_SOLUSD"]},
    {"event": "unsubscribed_failed", "feed": "ticker", "product_ids": ["PF_XBTUSD"]},
    {"event": "error", "message": "Json Error"},
    {"event": "alert", "message": "Failed to subscribe to authenticated feed"},
    {"feed": "book_snapshot", "product_id": "PF_XBTUSD", "timestamp": 1612269825817, "seq": 326072249,
     "tickSize": None, "bids": [{"price": 34892.5, "qty": 6385}, {"price": 34892, "qty": 10924}],
     "asks": [{"price": 34911.5, "qty": 20598}, {"price": 34912, "qty": 2300}]},
    {"feed": "book", "product_id": "PF_XBTUSD", "side": "sell", "seq": 326094134, "price": 34981, "qty": 0,
     "timestamp": 1612269953629},
    {"time": 1676393235406, "product_id": "PF_XBTUSD", "funding_rate": -6.2604214e-11,
     "funding_rate_prediction": -3.65989977e-10, "relative_funding_rate": -1.380384722222e-6,
     "relative_funding_rate_prediction": -8.047629166667e-6, "next_funding_rate_time": 1676394000000,
     "feed": "ticker", "bid": 21978.5, "ask": 21987.0, "bid_size": 2536.0, "ask_size": 13948.0,
     "volume": 31403908.0, "dtm": 0, "leverage": "50x", "index": 21984.54, "premium": -0.0, "last": 21983.5,
     "change": 1.9974017538161748, "suspended": False, "tag": "perpetual", "pair": "XBT:USD",
     "openInterest": 30072580.0, "markPrice": 21979.68641534714, "maturityTime": 0, "post_only": False,
     "volumeQuote": 31403908.0, "open": 21968.5, "high": 22123.0, "low": 21456.0},
    {"feed": "ticker_lite", "product_id": "PF_XBTUSD", "bid": 34932, "ask": 34949.5, "change": 3.3705205220015966,
     "premium": 0.1, "volume": 264126741, "tag": "perpetual", "pair": "XBT:USD", "dtm": 0, "maturityTime": 0,
     "volumeQuote": 264126741},
    {"feed": "trade_snapshot", "product_id": "PF_XBTUSD", "trades": [
        {"feed": "trade", "product_id": "PF_XBTUSD", "uid": "caa9c653-420b-4c24-a9f1-462a054d86f1", "side": "sell",
         "type": "fill", "seq": 655508, "time": 1612269657781, "qty": 440, "price": 34893}]},
    {"feed": "trade", "product_id": "PF_XBTUSD", "uid": "05af78ac-a774-478c-a50c-8b9c234e071e", "side": "sell",
     "type": "fill", "seq": 653355, "time": 1612266317519, "qty": 15000, "price": 34969.5},
    {"feed": "heartbeat", "time": 1534262350627},
    {"feed": "open_orders_snapshot", "account": "e258dba9-4dd4-4da5-bfef-75beb91c098e", "orders": [
        {"instrument": "PF_XBTUSD", "time": 1612275024153, "last_update_time": 1612275178153, "qty": 12,
         "filled": 0, "stop_price": 3200.1, "type": "trailing_stop",
         "order_id": "59302619-41d2-4f0b-941f-7e7914760ad3", "direction": 1, "reduce_only": False,
         "triggerSignal": "mark", "trailing_stop_options": {"max_deviation": 20.0, "unit": "percent"}}, ORDER]},
    {"feed": "open_orders", "order": ORDER, "is_cancel": False, "reason": "new_placed_order_by_user"},
    {"feed": "open_orders", "order_id": "df2fa719-23bc-4cd7-8a84-5c3c41d75757", "cli_ord_id": "EwAF7gMAAQAAnNBFcdUQ",
     "is_cancel": True, "reason": "full_fill"},
    {"feed": "open_orders_verbose", "order": ORDER, "is_cancel": True,
     "reason": "post_order_failed_because_it_would_filled"},
    {"feed": "fills", "username": "6a70e882-4405-4dc5-9c49-010ddf2a6746", "fills": [FILL]},
    {"feed": "fills_snapshot", "account": "DemoUser", "fills": [FILL]},
    {"feed": "open_positions", "account": "DemoUser", "positions": [
        {"instrument": "PF_XBTUSD", "balance": 0.04, "pnl": 119.56244985549435, "entry_price": 26911.75,
         "mark_price": 29900.81124638736, "index_price": 29900.47, "liquidation_threshold": 9572.804662403718,
         "effective_leverage": 0.31865408963748215, "return_on_equity": 5.553450159107747,
         "unrealized_funding": 0.0004114160669590132, "initial_margin": 21.529400000000003,
         "initial_margin_with_orders": 21.529400000000003, "maintenance_margin": 10.764700000000001,
         "pnl_currency": "USD"}], "seq": 4, "timestamp": 1687383625330},
    {"feed": "balances_snapshot", "account": "4a012c31-df95-484a-9473-d51e4a0c4ae7",
     "holding": {"USD": 5000.0, "XBT": 0.1285407184},
     "futures": {"F-XBT:USD": {"name": "F-XBT:USD", "pair": "XBT/USD", "unit": "XBT", "portfolio_value": 0.0,
                               "balance": 0.0, "maintenance_margin": 0.0, "initial_margin": 0.0, "available": 0.0,
                               "unrealized_funding": 0.0, "pnl": 0.0}},
     "flex_futures": {"currencies": {"USD": {"quantity": 0.0, "value": 0.0, "collateral_value": 0.0,
                                             "available": 0.0, "haircut": 0.0, "conversion_spread": 0.0}},
                      "balance_value": 0.0, "portfolio_value": 0.0, "collateral_value": 0.0, **ZEROS,
                      "margin_equity": 0.0, "available_margin": 0.0, "isolated": {"PF_ETHUSD": ZEROS},
                      "cross": {"balance_value": 9963.66, "portfolio_value": 9963.66, "collateral_value": 9963.66,
                                **ZEROS, "margin_equity": 9963.66, "available_margin": 9963.66,
                                "effective_leverage": 0.0}},
     "timestamp": 1640995200000, "seq": 0},
    {"feed": "balances", "account": "7a641082-55c7-4411-a85f-930ec2e09617", "holding": {"USD": 5000.0},
     "futures": {}, "timestamp": 1640995200000, "seq": 83},
    {"feed": "account_log", "new_entry": {
        "id": 1697, "date": "2019-07-11T13:00:27.632Z", "asset": "pi_bchusd", "info": "futures trade",
        "booking_uid": "55a02b5b-2c90-4d43-b0eb-eb3801d50e3f", "margin_account": "f-bch:usd", "old_balance": 1.0,
        "new_balance": 2.0, "old_average_entry_price": 413.3, "new_average_entry_price": 374.3445326979084,
        "trade_price": 342.1, "mark_price": 342.4, "realized_pnl": 0.0, "fee": 0.0,
        "execution": "fc49fea9-8827-4a2e-8e36-c047523ddc30", "collateral": "bch", "funding_rate": 1.64955714332e-7,
        "realized_funding": -1.31965e-6, "conversion_spread_percentage": 0.0, "liquidation_fee": 0.0}},
    {"feed": "notifications_auth", "notifications": [
        {"id": 5, "type": "market", "priority": "low", "note": "A note describing the notification.",
         "effective_time": 1520288300000}]},
    {"feed": "account_balances_and_margins", "account": "bdb7a134-386a-45c0-b8e5-76a75537df4c",
     "margin_accounts": [{"name": "xbt", "balance": 0.0, "pnl": 0.0, "funding": 0.0, "pv": 0.0, "am": 0.0,
                          "im": 0.0, "mm": 0.0}], "seq": 0},
]

# what the spec rules out (each with why)
WRONG: list[tuple[dict[str, Any], str]] = [
    ({"event": "info", "version": 1, "server": "krakensim"}, "an extra key in info"),
    ({"event": "subscribed", "feed": "open_orders", "api_key": "k"}, "an ack echoing the key (README #1)"),
    ({"event": "error", "message": "Unknown feed"}, "a string no Kraken source has (connection.md §6)"),
    ({"event": "alert", "message": "Rate limit exceeded"}, "an invented alert"),
    ({"feed": "book", "product_id": "PF_XBTUSD", "side": "bid", "seq": 1, "price": 1, "qty": 1, "timestamp": 1},
     "side must be buy or sell"),
    ({"feed": "book_snapshot", "product_id": "PF_XBTUSD", "timestamp": 1, "seq": 1, "tickSize": None,
      "bids": [{"price": 1, "qty": 0}], "asks": []}, "a zero level in a snapshot"),
    ({"feed": "open_orders", "order": ORDER, "is_cancel": True, "reason": "post_order_failed_because_it_would_be_filled"},
     "the docs' misspelt reason (README #3)"),
    ({"feed": "fills", "account": "x", "fills": [FILL]}, "a fills delta names the account username (README #7)"),
    ({"feed": "open_orders", "order": {**ORDER, "qty": "1000"}, "is_cancel": False, "reason": "partial_fill"},
     "numbers are JSON numbers, never strings"),
    ({"feed": "heartbeat", "time": 1534262350627.5}, "times are integers"),
]


@pytest.mark.parametrize("msg", SPEC_MESSAGES, ids=lambda m: str(m.get("event") or m.get("feed")))
def test_the_spec_messages_are_valid(msg: dict[str, Any]) -> None:
    assert_valid_message(msg)


@pytest.mark.parametrize(("msg", "why"), WRONG, ids=[w for _, w in WRONG])
def test_what_the_spec_rules_out_is_refused(msg: dict[str, Any], why: str) -> None:
    assert validation_errors(msg), why
