"""What each authenticated request costs, in which budget (auth-and-limits.md §3).

Public endpoints cost nothing. Endpoints whose cost Kraken does not list (notifications,
feeschedules/volumes, subaccounts, trading/instruments, assignmentprogram, portfolio-margining,
RFQs, the History API's positions) cost nothing here either (docs/fidelity.md).
"""

from __future__ import annotations

import orjson

from ..runtime.rate_limits import DERIVATIVES, HISTORY, Budget
from .params import Params

D = "/derivatives/api/v3/"
FIXED: dict[tuple[str, str], int] = {
    ("sendorder", "POST"): 10, ("editorder", "POST"): 10, ("cancelorder", "POST"): 10,
    ("accounts", "GET"): 2, ("openpositions", "GET"): 2, ("cancelallorders", "POST"): 25,
    ("cancelallordersafter", "POST"): 25, ("withdrawal", "POST"): 100, ("openorders", "GET"): 2,
    ("orders/status", "GET"): 1, ("orders/status", "POST"): 1, ("unwindqueue", "GET"): 200,
    ("leveragepreferences", "GET"): 2, ("leveragepreferences", "PUT"): 10, ("pnlpreferences", "GET"): 2,
    ("pnlpreferences", "PUT"): 10, ("transfer", "POST"): 10, ("transfer/subaccount", "POST"): 10,
    ("self-trade-strategy", "GET"): 2, ("self-trade-strategy", "PUT"): 2,
}
HISTORY_FIXED = {"orders": 1, "triggers": 1, "executions": 1, "accountlogcsv": 6}
# account-log by its count (default 500): up to each bound, its cost
ACCOUNT_LOG = ((25, 1), (50, 2), (1000, 3), (5000, 6), (100_000, 10))


def _batch_size(params: Params) -> int:
    raw = params.get("json")
    try:
        doc = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return 0
    orders = doc.get("batchOrder") if isinstance(doc, dict) else None
    return len(orders) if isinstance(orders, list) else 0


def _account_log(params: Params) -> int:
    text = params.get("count")
    count = int(text) if text is not None and text.isdigit() else 500
    return next((cost for bound, cost in ACCOUNT_LOG if count <= bound), 10)


def cost(path: str, method: str, params: Params) -> tuple[Budget, int] | None:
    """The budget and cost of an authenticated request, or None when it costs nothing."""
    if path.startswith(D):
        name = path[len(D):]
        if name == "batchorder":
            return DERIVATIVES, 9 + _batch_size(params)
        if name == "fills":
            return DERIVATIVES, 25 if params.get("lastFillTime") else 2
        if name.startswith("subaccount/") and name.endswith("/trading-enabled"):
            return DERIVATIVES, 2
        fixed = FIXED.get((name, method))
        return None if fixed is None else (DERIVATIVES, fixed)
    if path.startswith(("/api/history/v2/", "/api/history/v3/")):
        name = path[len("/api/history/v3/"):]
        if name == "account-log":
            return HISTORY, _account_log(params)
        fixed = HISTORY_FIXED.get(name)
        return None if fixed is None else (HISTORY, fixed)
    return None
