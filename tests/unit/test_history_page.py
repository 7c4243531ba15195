"""A History API page read lazily (only the page rendered) equals the page of the whole filtered history."""

from __future__ import annotations

from collections import deque
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from krakensim.api.history import Window


def window(since: int | None, before: int | None, count: int, sort: str, skip: int) -> Window:
    w = Window.__new__(Window)  # the fields a request's parameters would give
    w.since, w.before, w.count, w.sort, w.skip, w.tradeable = since, before, count, sort, skip, None
    return w


def naive(items: list[tuple[int, int]], w: Window, odd_only: bool) -> dict[str, Any]:
    """What the History API answered before: filter everything, order it, slice the page."""
    rows = [{"n": n} for ts, n in items
            if (w.since is None or ts >= w.since) and (w.before is None or ts < w.before) and (not odd_only or n % 2)]
    if w.sort == "desc":
        rows.reverse()
    page = rows[w.skip: w.skip + w.count]
    body: dict[str, Any] = {"elements": page, "len": len(page)}
    if w.skip + w.count < len(rows):
        body["continuationToken"] = Window.token(w.skip + w.count)
    return body


times = st.lists(st.integers(0, 50), max_size=60)  # not sorted: a wall clock may step back
bound = st.none() | st.integers(0, 50)


@given(times, bound, bound, st.integers(1, 20), st.sampled_from(["asc", "desc"]), st.integers(0, 70), st.booleans())
def test_a_lazy_page_equals_the_page_of_the_whole_history(ts: list[int], since: int | None, before: int | None,
                                                          count: int, sort: str, skip: int, odd_only: bool) -> None:
    items = deque((t, n) for n, t in enumerate(ts))
    w = window(since, before, count, sort, skip)
    rendered: list[int] = []

    def render(item: tuple[int, int]) -> dict[str, Any]:
        rendered.append(item[1])
        return {"n": item[1]}

    got = w.page(items, lambda i: i[0], render, (lambda i: i[1] % 2 == 1) if odd_only else None)
    assert got == naive(list(items), w, odd_only)
    assert len(rendered) == got["len"] <= count  # only the page is rendered
