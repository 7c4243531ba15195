"""Paging the account log (api/account_log.py ``LogQuery``): by id (``from``/``to``) pages concatenate to
the whole kept log in order with no entry twice, whatever the page size, direction, and how much the
retention dropped; the ``info``, ``since``/``before`` and id filters are exact."""

from __future__ import annotations

import asyncio
from collections import deque
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from krakensim.api.account_log import CSV_CHUNK, MAX_COUNT, LogQuery, account_log_csv
from krakensim.api.params import Params
from krakensim.api.request import Request
from krakensim.api.text import TextBody
from krakensim.engine import Exchange, default_instruments
from krakensim.engine.commands import CreateAccount, PlaceOrder
from krakensim.engine.events import AccountLogged
from krakensim.engine.retention import Retention
from krakensim.engine.units import BUY, SELL

INFOS = ("futures trade", "admin transfer", "funding rate change")


@st.composite
def logs(draw: st.DrawFn) -> tuple[deque[AccountLogged], int]:
    """A log of N entries of which the retention kept the last K (times mostly rising, sometimes stepping back)."""
    n = draw(st.integers(0, 60))
    kept = draw(st.integers(1, 70))
    log: deque[AccountLogged] = deque(maxlen=kept)
    t = 0
    for i in range(1, n + 1):
        t = max(0, t + draw(st.integers(-1, 3)))
        log.append(AccountLogged(t, "acct", i, f"uid-{i}", draw(st.sampled_from(INFOS)), None, 0, 0))
    return log, n


def query(**params: object) -> LogQuery:
    return LogQuery(Params({k: [str(v)] for k, v in params.items() if v is not None}))


@settings(max_examples=300, deadline=None)
@given(logs(), st.integers(1, 12), st.sampled_from(["asc", "desc"]))
def test_pages_by_id_concatenate_to_the_whole_log(made: tuple[deque[AccountLogged], int], count: int,
                                                  sort: str) -> None:
    log, total = made
    pages: list[AccountLogged] = []
    cursor: int | None = None
    for _ in range(total + 2):  # (a page never comes back empty before the end)
        bound = {"from": cursor} if sort == "asc" else {"to": cursor}
        page = list(query(sort=sort, count=count, **bound).entries(log, total))[:count]
        if not page:
            break
        assert len(page) <= count
        pages += page
        cursor = page[-1].entry_id + 1 if sort == "asc" else page[-1].entry_id - 1
    expected = list(log) if sort == "asc" else list(reversed(log))
    assert [e.entry_id for e in pages] == [e.entry_id for e in expected]
    assert len({e.entry_id for e in pages}) == len(pages)


@settings(max_examples=300, deadline=None)
@given(logs(), st.sampled_from([None, *INFOS]), st.none() | st.integers(0, 100), st.none() | st.integers(0, 100),
       st.none() | st.integers(0, 70), st.none() | st.integers(0, 70), st.sampled_from(["asc", "desc"]))
def test_filters_are_exact(made: tuple[deque[AccountLogged], int], info: str | None, since: int | None,
                           before: int | None, first: int | None, last: int | None, sort: str) -> None:
    log, total = made
    q = LogQuery(Params({k: [str(v)] for k, v in {"info": info, "since": since, "before": before, "from": first,
                                                   "to": last, "sort": sort}.items() if v is not None}))
    got = [e.entry_id for e in q.entries(log, total)]
    want = [e.entry_id for e in log
            if (info is None or e.info == info) and (since is None or e.time >= since)
            and (before is None or e.time < before) and (first is None or e.entry_id >= first)
            and (last is None or e.entry_id <= last)]
    assert got == (want if sort == "asc" else want[::-1])


def test_count_defaults_to_500_and_is_capped_there() -> None:
    assert query().count == 500 and query(count=10_000).count == MAX_COUNT == 500 and query(count=7).count == 7


def test_only_the_page_is_read() -> None:
    """The scan stops at the page's end: entries past it are never looked at."""
    log = deque(AccountLogged(i, "acct", i, f"uid-{i}", "futures trade", None, 0, 0) for i in range(1, 1001))
    looked: list[int] = []

    class Watched(deque[AccountLogged]):
        def __reversed__(self):  # type: ignore[no-untyped-def]
            for e in super().__reversed__():
                looked.append(e.entry_id)
                yield e

    it = query(count=5).entries(Watched(log), 1000)
    page = [next(it) for _ in range(5)]
    assert [e.entry_id for e in page] == [1000, 999, 998, 997, 996] and looked == [1000, 999, 998, 997, 996]


def test_the_engine_keeps_the_retention_s_latest_entries_numbered_on() -> None:
    ex = Exchange(default_instruments(), seed=1, retention=Retention(account_log_per_account=3))
    t0 = 1_767_225_600_000
    a, b = (ex.apply(CreateAccount(10**15), t0).account_id for _ in range(2))
    for i in range(3):  # three fills each: two legs a fill, 7 entries an account
        assert a is not None and b is not None
        ex.apply(PlaceOrder(a, "PF_XBTUSD", SELL, "lmt", 10, 90_000), t0 + i)
        ex.apply(PlaceOrder(b, "PF_XBTUSD", BUY, "ioc", 10, 90_000), t0 + i)
    log = ex.accounts[b].log
    assert ex.accounts[b].log_entries == 7 and [e.entry_id for e in log] == [5, 6, 7]
    assert [e.entry_id for e in query(sort="asc").entries(log, 7)] == [5, 6, 7]
    assert [e.entry_id for e in query(**{"from": 1, "to": 5}).entries(log, 7)] == [5]
    assert Retention().account_log_per_account == 20_000


def test_the_csv_export_of_a_long_log_is_whole_newest_first() -> None:
    """More entries than a chunk: every kept entry once, newest first, each row as the entry renders."""
    ex = Exchange(default_instruments(), seed=1)
    t0 = 1_767_225_600_000
    a, b = (ex.apply(CreateAccount(10**15), t0).account_id for _ in range(2))
    assert a is not None and b is not None
    fills = CSV_CHUNK // 2 + 30  # two entries a fill: more than a chunk
    for i in range(fills):
        ex.apply(PlaceOrder(a, "PF_XBTUSD", SELL if i % 2 else BUY, "lmt", 10, 90_000), t0 + i)
        ex.apply(PlaceOrder(b, "PF_XBTUSD", BUY if i % 2 else SELL, "ioc", 10, 90_000), t0 + i)
    req = Request("GET", "/api/history/v3/accountlogcsv", Params({}), SimpleNamespace(exchange=ex))  # type: ignore[arg-type]
    req.account_id = b
    status, body = asyncio.run(account_log_csv(req))
    assert status == 200 and isinstance(body, TextBody)
    lines = body.data.decode().splitlines()
    uids = [line.split(",", 1)[0] for line in lines[1:]]
    assert uids == [e.booking_uid for e in reversed(ex.accounts[b].log)] and len(uids) == 2 * fills + 1
