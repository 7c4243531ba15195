"""Which of the spec's endpoints krakensim serves, from its own route table (so it stays true as
endpoints are added), and the answer to one it does not serve yet."""

from __future__ import annotations

import re
from functools import cache

from . import charts
from .routes import PATTERNS, ROUTES
from .spec_catalogue import REST_ENDPOINTS

# a value for each path parameter of the spec's templates, to ask the route table about
SAMPLES = {"symbol": "PF_XBTUSD", "tradeable": "PF_XBTUSD", "tick_type": "trade", "resolution": "1m",
           "analytics_type": "open-interest", "subaccountUid": "00000000-0000-4000-8000-000000000000",
           "rfqUid": "00000000-0000-4000-8000-000000000000"}
CHARTS_ANALYTICS = charts.PREFIX + "analytics/"  # the Charts API's analytics: not served (the candles are)


def concrete(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], template)


def served(method: str, template: str) -> bool:
    """Does the route table answer ``method`` at the spec's ``template``?"""
    path = concrete(template)
    route = ROUTES.get(path)
    if route is not None:
        return method in route.methods
    for prefix, suffix, r in PATTERNS:
        if path.startswith(prefix) and path.endswith(suffix) and len(path) > len(prefix) + len(suffix) and \
                "/" not in path[len(prefix): len(path) - len(suffix)]:
            return method in r.methods
    if path.startswith(charts.PREFIX) or path == charts.PREFIX[:-1]:
        return method == "GET" and not path.startswith(CHARTS_ANALYTICS)
    return False


@cache
def _unserved() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, template) of the spec's endpoints not served, fixed paths before templates."""
    rows = [(m, t) for m, t, _, _ in REST_ENDPOINTS if not served(m, t)]
    rows.sort(key=lambda r: r[1].count("{"))
    return tuple((m, re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(t)) + "/?"), t) for m, t in rows)


def unserved_template(method: str, path: str) -> str | None:
    """The spec's template of ``method path`` when it names an endpoint krakensim does not serve yet."""
    for m, pattern, template in _unserved():
        if m == method and pattern.fullmatch(path):
            return template
    return None


def not_served_message(method: str, template: str) -> str:
    return f"krakensim does not serve {method} {template} yet (see docs/coverage.md)"
