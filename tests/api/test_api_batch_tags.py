"""In a batchorder, an edit or cancel may name an order sent earlier in the same batch by its
``order_tag`` (issue 13 part 8, docs/fidelity.md), through python-kraken-sdk's create_batch_order."""

from __future__ import annotations

import pytest
from kraken.exceptions import KrakenNotFoundError
from kraken.futures import Trade, User

from apihelpers import XBT_ID, num


def test_edit_and_cancel_by_order_tag(sdk_factory, fresh_account) -> None:
    creds = fresh_account()
    trade = sdk_factory(Trade, creds)
    resp = trade.create_batch_order(batchorder_list=[
        {"order": "send", "order_tag": "a", "orderType": "post", "symbol": XBT_ID, "side": "buy", "size": 0.001,
         "limitPrice": 9000},
        {"order": "send", "order_tag": "b", "orderType": "post", "symbol": XBT_ID, "side": "buy", "size": 0.001,
         "limitPrice": 9100},
        {"order": "edit", "order_id": "a", "size": 0.002, "limitPrice": 9050},
        {"order": "cancel", "order_id": "b"},
    ])
    statuses = resp["batchStatus"]
    assert [s["status"] for s in statuses] == ["placed", "placed", "edited", "cancelled"], statuses
    a_id, b_id = statuses[0]["order_id"], statuses[1]["order_id"]
    assert statuses[2]["order_id"] == a_id and statuses[3]["order_id"] == b_id
    [left] = sdk_factory(User, creds).get_open_orders()["openOrders"]
    assert left["order_id"] == a_id
    assert num(left["limitPrice"]) == 9050 and num(left["unfilledSize"]) == 0.002


def test_an_unknown_tag_is_not_found(sdk_factory, fresh_account) -> None:
    trade = sdk_factory(Trade, fresh_account())
    with pytest.raises(KrakenNotFoundError) as caught:  # the SDK raises on a notFound batch status
        trade.create_batch_order(batchorder_list=[{"order": "cancel", "order_id": "never-sent"}])
    assert "'status': 'notFound'" in str(caught.value)
