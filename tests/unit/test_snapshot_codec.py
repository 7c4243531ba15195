"""A snapshot inflated as pickle reads it gives back exactly what was dumped, whatever its size."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from krakensim.runtime import snapshots


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 400_000), st.binary(max_size=64))
def test_a_snapshot_round_trips_through_the_chunked_inflater(n: int, tail: bytes) -> None:
    state = {"numbers": list(range(n)), "text": "x" * (n // 3), "tail": tail * (n // 7 + 1)}
    assert snapshots.load(snapshots.dump(state)) == state
