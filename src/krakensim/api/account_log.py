"""The account log (``/api/history/v2|v3/account-log``) and its CSV export (``accountlogcsv``).

Entries are numbered from 1 per account and kept in order (the retention's latest), so an id range
(``from``/``to``) is a slice of the log, found without a scan; the time range (``since``/``before``)
and the ``info`` filter are cheap comparisons over that slice; only the page (``count``, at most
500) is rendered. There is no continuation token: clients page by id or by time, as on Kraken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import islice
from typing import Any

from ..engine.events import AccountLogged
from .errors import INVALID, ApiError
from .params import Params, optional_unsigned, parse_bool, parse_iso
from .render.account_log import CSV_COLUMNS, CSV_CONVERSION_COLUMNS, INFOS, account_log_entry, csv_row
from .request import Reply, Request
from .text import TextBody

DEFAULT_COUNT = 500  # the spec's default
MAX_COUNT = 500  # python-kraken-sdk documents count's maximum as 500
CSV_CHUNK = 1_000  # CSV rows rendered between two turns of the event loop (about 20 ms)


def _time(p: Params, name: str) -> int | None:
    """``since``/``before``: epoch milliseconds, or an ISO-8601 time (python-kraken-sdk's documented example
    sends ``before="2023-04-04T16:10:46.260Z"``)."""
    text = p.get(name)
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return optional_unsigned(p, name)
    ms = parse_iso(text)
    if ms is None or ms < 0:
        raise ApiError(INVALID)
    return ms


class LogQuery:
    """since, before, from, to, info, sort and count of an account-log request (invalidArgument if malformed)."""

    __slots__ = ("since", "before", "first", "last", "info", "desc", "count", "conversion_details")

    def __init__(self, p: Params) -> None:
        self.since = _time(p, "since")
        self.before = _time(p, "before")
        self.first = optional_unsigned(p, "from")
        self.last = optional_unsigned(p, "to")
        info = p.get("info") or None
        if info is not None and info not in INFOS:
            raise ApiError(INVALID)
        self.info = info
        sort = p.get("sort") or "desc"
        if sort not in ("asc", "desc"):
            raise ApiError(INVALID)
        self.desc = sort == "desc"
        count = optional_unsigned(p, "count")
        if count is not None and count < 1:
            raise ApiError(INVALID)
        self.count = DEFAULT_COUNT if count is None else min(count, MAX_COUNT)
        details = p.get("conversion_details")
        self.conversion_details = bool(details) and parse_bool(details or "")

    def entries(self, log: Any, total: int) -> Iterator[AccountLogged]:
        """The log's entries in the id range, in the asked order, that pass the time and info filters.

        ``log`` holds entries ``total - len(log) + 1`` … ``total`` (ids are consecutive)."""
        oldest = total - len(log) + 1
        lo = max(oldest, self.first if self.first is not None else 1)
        hi = min(total, self.last if self.last is not None else total)
        if lo > hi:
            return
        if self.desc:
            items = islice(reversed(log), total - hi, total - lo + 1)
        else:
            items = islice(log, lo - oldest, hi - oldest + 1)
        since, before, info = self.since, self.before, self.info
        for e in items:
            if (since is not None and e.time < since) or (before is not None and e.time >= before):
                continue
            if info is not None and e.info != info:
                continue
            yield e


async def account_log(req: Request) -> Reply:
    """GET /api/history/v{2,3}/account-log (signed): one page of the account's log."""
    q = LogQuery(req.params)
    account = req.rt.exchange.accounts[req.account_id]
    logs = [account_log_entry(req.instrument_of, e, q.conversion_details)
            for e in islice(q.entries(account.log, account.log_entries), q.count)]
    return 200, {"accountUid": req.account_id, "logs": logs}


async def account_log_csv(req: Request) -> Reply:
    """GET /api/history/v{2,3}/accountlogcsv (signed): every kept entry, newest first, as Kraken's export.

    The whole log is the answer (Kraken's export has no paging), so it is rendered from a copy of the
    log taken at once (entries are immutable) a chunk at a time, letting the event loop serve others
    between chunks: a long export never stalls the venue for longer than a chunk."""
    details = req.params.get("conversion_details")
    conversion = bool(details) and parse_bool(details or "")
    entries = list(reversed(req.rt.exchange.accounts[req.account_id].log))
    of = req.instrument_of
    lines = [",".join(CSV_COLUMNS + (CSV_CONVERSION_COLUMNS if conversion else ()))]
    for start in range(0, len(entries), CSV_CHUNK):
        if start:
            await asyncio.sleep(0)
        lines += [csv_row(of, account_log_entry(of, e, conversion), e, conversion)
                  for e in entries[start:start + CSV_CHUNK]]
    return 200, TextBody(("\n".join(lines) + "\n").encode())
