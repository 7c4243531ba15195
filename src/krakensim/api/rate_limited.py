"""Charging a request to its rate-limit budget, and Kraken's answer when the budget is spent.

The derivatives API answers ``apiLimitExceeded`` in its error envelope (HTTP 200, as its other
errors); the History API answers HTTP 429 ``Rate limited.`` (text/plain) with ``rate-limit-reset``,
the seconds until the same request would pass (its spec's 429).
"""

from __future__ import annotations

from ..runtime.core import Runtime
from ..runtime.rate_limits import HISTORY
from .costs import cost
from .errors import RATE_LIMITED, ApiError
from .request import Request


def charge_rate_limit(rt: Runtime, path: str, method: str, req: Request) -> None:
    charged = cost(path, method, req.params)
    if charged is None:
        return
    budget, amount = charged
    wait_ms = rt.limiter.spend(budget, req.key, amount, rt.clock())
    if not wait_ms:
        return
    if budget is HISTORY:
        reset_s = str(max(1, -(-wait_ms // 1000))).encode()
        raise ApiError(RATE_LIMITED, 429, ((b"rate-limit-reset", reset_s),), text="Rate limited.")
    raise ApiError(RATE_LIMITED)
