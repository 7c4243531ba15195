"""``GET /_krakensim/v1/accounts?limit=&offset=``: every account, a page at a time, with its API keys
(secrets included) and a short money summary, for the dashboard's account picker and for tests.

The secrets are shown because the token holder may mint a key on any account anyway (``POST keys``):
reading one gives it no power it lacks. Accounts come in creation order (the simulated market's agents
first, then the configured and created ones); a page is at most ``MAX_LIMIT`` accounts.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from ..api.errors import INVALID, ApiError
from ..api.render.numbers import iso
from ..api.render.wallets import units_str
from ..api.request import Reply
from ..runtime.core import Runtime

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000  # thousands of accounts exist on a busy venue: one page is bounded
BAD_REQUEST = 400


def _count(doc: dict[str, Any], name: str, default: int, least: int, most: int) -> int:
    text = doc.get(name)
    if text is None:
        return default
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():  # no sign, no spaces, no "1e3"
        raise ApiError(INVALID, BAD_REQUEST)
    value = int(text)
    if not least <= value <= most:
        raise ApiError(INVALID, BAD_REQUEST)
    return value


async def list_accounts(rt: Runtime, doc: dict[str, Any]) -> Reply:
    limit = _count(doc, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _count(doc, "offset", 0, 0, 10**12)
    ex = rt.exchange
    page = list(islice(ex.accounts.values(), offset, offset + limit))
    wanted = {a.account_id for a in page}
    keys: dict[str, list[dict[str, str]]] = {uid: [] for uid in wanted}
    for k in rt.keys.keys.values():  # one pass over every key (in the order they were made)
        if k.account_id in wanted:
            keys[k.account_id].append({"apiKey": k.key, "apiSecret": k.secret, "access": k.access})
    accounts = [{"accountUid": a.account_id, "master": a.master, "tradingEnabled": a.trading_enabled,
                 "keys": keys[a.account_id], "balance": units_str(a.balance),
                 "marginEquity": units_str(ex.risk.summary(a).equity)} for a in page]
    return 200, {"result": "success", "accounts": accounts, "total": len(ex.accounts), "limit": limit,
                 "offset": offset, "serverTime": iso(rt.clock())}
