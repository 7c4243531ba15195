"""``GET /_krakensim/v1/accounts``: every account a page at a time, with its keys, secrets and money, each
answer (and each refusal) valid against the control API's OpenAPI document."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from krakensim.testing import ControlError, Venue
from krakensim.testing.plugin import krakensim, krakensim_server, krakensim_settings  # noqa: F401


def listed(venue: Venue, query: str = "") -> dict[str, Any]:
    """One page, checked against the document the server serves."""
    answer = venue.control("GET", f"accounts{query}")
    doc = venue.control("GET", "openapi.json")
    schema = doc["paths"]["/_krakensim/v1/accounts"]["get"]["responses"]["200"]["content"]["application/json"]
    jsonschema.validate(answer, {**schema["schema"], "components": doc["components"]})
    return answer


def every_account(venue: Venue) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = listed(venue, f"?limit=1000&offset={len(rows)}")
        rows += page["accounts"]
        if not page["accounts"]:
            return rows


def test_each_account_is_listed_with_its_keys_and_money(krakensim: Venue) -> None:  # noqa: F811
    rich, poor = krakensim.new_account("1234.5"), krakensim.new_account("7")
    viewer = krakensim.control("POST", "keys", {"accountUid": rich.account_uid, "access": "read-only"})
    rows = {r["accountUid"]: r for r in every_account(krakensim)}
    assert len(rows) == krakensim.control("GET", "status")["accounts"]
    assert rows[rich.account_uid] == {
        "accountUid": rich.account_uid, "master": None, "tradingEnabled": True,
        "keys": [{"apiKey": rich.key, "apiSecret": rich.secret, "access": "full"},
                 {"apiKey": viewer["apiKey"], "apiSecret": viewer["apiSecret"], "access": "read-only"}],
        "balance": "1234.5", "marginEquity": "1234.5"}
    assert rows[poor.account_uid]["balance"] == "7"
    assert rows[poor.account_uid]["keys"] == [{"apiKey": poor.key, "apiSecret": poor.secret, "access": "full"}]


def test_a_subaccount_names_its_master(krakensim: Venue) -> None:  # noqa: F811
    master = krakensim.new_account(10)
    sub = krakensim.control("POST", "accounts", {"usd": "3", "master": master.account_uid})
    rows = {r["accountUid"]: r for r in every_account(krakensim)}
    assert rows[sub["accountUid"]]["master"] == master.account_uid
    assert rows[master.account_uid]["master"] is None


def test_pages_are_bounded_and_walk_every_account_once(krakensim: Venue) -> None:  # noqa: F811
    for usd in (1, 2, 3):
        krakensim.new_account(usd)
    first = listed(krakensim)
    total = first["total"]
    assert total >= 3 and first["limit"] == 100 and first["offset"] == 0
    assert len(first["accounts"]) == min(total, 100)
    walked: list[str] = []
    while len(walked) < total:
        page = listed(krakensim, f"?limit=2&offset={len(walked)}")
        assert page["total"] == total and len(page["accounts"]) == min(2, total - len(walked))
        walked += [r["accountUid"] for r in page["accounts"]]
    assert len(set(walked)) == total
    assert walked == [r["accountUid"] for r in every_account(krakensim)]
    assert listed(krakensim, f"?offset={total}")["accounts"] == []


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?limit=-1", "?limit=abc", "?limit=1e2",
                                   "?offset=-1", "?offset=x", "?limit=%201"])
def test_a_bad_page_is_refused_and_matches_the_document(krakensim: Venue, query: str) -> None:  # noqa: F811
    doc = krakensim.control("GET", "openapi.json")
    with pytest.raises(ControlError) as e:
        krakensim.control("GET", f"accounts{query}")
    assert e.value.status == 400
    assert e.value.answer["error"] == "invalidArgument"
    jsonschema.validate(e.value.answer, doc["components"]["schemas"]["Error"])
