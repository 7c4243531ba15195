"""docs/coverage.md is what the route table serves today, and an endpoint of the spec that krakensim does
not serve answers with a message saying so, in Kraken's envelope (not a bare 404)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from krakensim.api.coverage import not_served_message, served
from krakensim.api.spec_catalogue import REST_ENDPOINTS
from krakensim.serve.coverage_doc import render
from krakensim.testing import Venue
from krakensim.testing.plugin import krakensim, krakensim_server, krakensim_settings  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
UNSERVED = [(m, t) for m, t, _, _ in REST_ENDPOINTS if not served(m, t)]


def test_coverage_md_is_up_to_date() -> None:
    assert (ROOT / "docs" / "coverage.md").read_text() == render(), "run: python tools/write_coverage.py"


def test_what_is_served_answers_and_the_list_knows_it() -> None:
    assert served("POST", "/derivatives/api/v3/sendorder") and served("GET", "/api/charts/v1/{tick_type}")
    assert not served("GET", "/api/charts/v1/analytics/{symbol}/{analytics_type}")


@pytest.mark.parametrize(("method", "template"), UNSERVED)
def test_an_unserved_endpoint_says_so(krakensim: Venue, method: str, template: str) -> None:  # noqa: F811
    path = template.replace("{", "").replace("}", "")  # a value for each parameter: its own name
    r = requests.request(method, krakensim.url + path, timeout=10)
    assert r.status_code == 404, (r.status_code, r.text)
    doc = r.json()
    assert doc["result"] == "error" and doc["error"] == "Unavailable" and doc["serverTime"]
    assert doc["message"] == not_served_message(method, template)


def test_an_unknown_path_is_still_not_found(krakensim: Venue) -> None:  # noqa: F811
    r = requests.get(krakensim.url + "/derivatives/api/v3/no-such-thing", timeout=10)
    assert r.status_code == 404 and r.json()["error"] == "notFound" and "message" not in r.json()
