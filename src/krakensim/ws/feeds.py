"""The feeds of WebSocket v1 by kind (connection.md §5.1)."""

from __future__ import annotations

PRODUCT_FEEDS = ("book", "ticker", "ticker_lite", "trade")
HEARTBEAT = "heartbeat"
PUBLIC_FEEDS = (*PRODUCT_FEEDS, HEARTBEAT)
ORDER_FEEDS = ("open_orders", "open_orders_verbose")
STATE_FEEDS = ("open_positions", "balances", "account_balances_and_margins")  # rendered from state, numbered
PRIVATE_FEEDS = (*ORDER_FEEDS, "fills", "open_positions", "balances", "account_log", "notifications_auth",
                 "deposits_withdrawals", "account_balances_and_margins")
TICKER_FEEDS = ("ticker", "ticker_lite")
