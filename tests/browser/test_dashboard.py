"""The dashboard in a real browser (Debian's chromium, headless): the market view follows the feeds,
the account view follows the account and trades through REST, the control view moves the market.

No wall-clock limits are asserted (how fast the page follows is a figure: bench/dashboard.py);
each wait below only bounds how long a broken page is waited for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from browserhelpers import Venue, missing
from serverproc import free_port, start_server

if missing() is not None:  # said in the summary (-ra): how to install what the tests need
    pytest.skip(missing() or "", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

SYMBOL = "PF_XBTUSD"
WAIT_MS = 15_000  # how long a broken page is waited for before the test fails (not a figure)

# the ladder as the page shows it: [[side, price, qty], …] from the best ask up and the best bid down
LADDER_JS = """() => [...document.querySelectorAll('#ladder-body tr[data-side]')]
    .map(r => [r.dataset.side, Number(r.dataset.price), Number(r.dataset.qty)])"""


def rest_ladder(venue: Venue) -> list[list[Any]]:
    book = venue.trader.call("GET", "orderbook", {"symbol": SYMBOL})["orderBook"]
    asks = sorted(book["asks"])[:20]
    bids = sorted(book["bids"], reverse=True)[:20]
    return [["sell", p, q] for p, q in reversed(asks)] + [["buy", p, q] for p, q in bids]


def page_equals_rest(page: Any, venue: Venue) -> None:
    """Wait until the page's ladder is REST's orderbook (the same levels and sizes)."""
    want = rest_ladder(venue)
    page.wait_for_function(f"want => JSON.stringify(({LADDER_JS})()) === JSON.stringify(want)", arg=want,
                           timeout=WAIT_MS)


def place(client: Any, side: str, size: str, price: int, order_type: str = "lmt") -> dict[str, Any]:
    answer: dict[str, Any] = client.call("POST", "sendorder", {"orderType": order_type, "symbol": SYMBOL, "side": side,
                                                               "size": size, "limitPrice": str(price)})
    assert answer["result"] == "success", answer
    return answer["sendStatus"]


def connect_account(page: Any, venue: Venue) -> None:
    page.click("#tab-account")
    page.fill("#api-key", venue.page_key)
    page.fill("#api-secret", venue.page_secret)
    page.click("#account-form button[type=submit]")
    expect(page.locator("#account-status")).to_contain_text("connected", timeout=WAIT_MS)
    page.wait_for_function("() => document.querySelector('#b-balance').textContent !== '–'", timeout=WAIT_MS)


def test_the_page_loads_every_view_without_a_console_error(page: Any) -> None:
    expect(page.locator("#instrument")).to_have_value(SYMBOL)
    expect(page.locator("#feed-status")).to_have_text("feed open", timeout=WAIT_MS)
    page.wait_for_function("() => document.querySelector('#t-mark').dataset.value !== ''", timeout=WAIT_MS)
    for view in ("account", "control", "market"):
        page.click(f"#tab-{view}")
        expect(page.locator(f"#view-{view}")).to_be_visible()
    # the tabs move with the arrow keys (keyboard only)
    page.focus("#tab-market")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#view-account")).to_be_visible()
    expect(page.locator("#tab-account")).to_be_focused()


def test_the_book_on_the_page_is_the_rest_orderbook(page: Any, venue: Venue) -> None:
    for i in range(3):
        place(venue.other, "buy", "0.01", 80_000 - 10 * i)
        place(venue.other, "sell", "0.02", 100_000 + 10 * i)
    page_equals_rest(page, venue)
    place(venue.other, "sell", "0.03", 100_005)  # a new level while the page watches
    page_equals_rest(page, venue)


def test_an_order_placed_over_rest_shows_in_the_book_and_the_open_orders(page: Any, venue: Venue) -> None:
    connect_account(page, venue)
    order_id = place(venue.trader, "buy", "0.0042", 79_123)["order_id"]
    expect(page.locator(f'#orders-body tr[data-order-id="{order_id}"]')).to_have_count(1, timeout=WAIT_MS)
    page.click("#tab-market")
    expect(page.locator('#ladder-body tr[data-price="79123"]')).to_have_attribute("data-qty", "0.0042",
                                                                                   timeout=WAIT_MS)
    page_equals_rest(page, venue)
    # cancelled from the page: gone from the open orders, the book and REST
    page.click("#tab-account")
    page.click(f'#orders-body button[data-cancel="{order_id}"]')
    expect(page.locator(f'#orders-body tr[data-order-id="{order_id}"]')).to_have_count(0, timeout=WAIT_MS)
    open_ids = {o["order_id"] for o in venue.trader.call("GET", "openorders")["openOrders"]}
    assert order_id not in open_ids
    page.click("#tab-market")
    expect(page.locator('#ladder-body tr[data-price="79123"]')).to_have_count(0, timeout=WAIT_MS)


def test_an_order_sent_from_the_page_goes_through_rest(page: Any, venue: Venue) -> None:
    connect_account(page, venue)
    page.select_option("#order-side", "sell")
    page.select_option("#order-type", "post")
    page.fill("#order-size", "0.0031")
    page.fill("#order-price", "123456")
    page.click("#order-form button[type=submit]")
    expect(page.locator("#order-result")).to_contain_text("placed", timeout=WAIT_MS)
    mine = [o for o in venue.trader.call("GET", "openorders")["openOrders"] if o["limitPrice"] == 123456]
    assert len(mine) == 1 and mine[0]["side"] == "sell" and mine[0]["unfilledSize"] == 0.0031
    expect(page.locator(f'#orders-body tr[data-order-id="{mine[0]["order_id"]}"]')).to_have_count(1, timeout=WAIT_MS)
    venue.trader.call("POST", "cancelorder", {"order_id": mine[0]["order_id"]})


def test_a_fill_shows_in_the_tape_and_the_accounts_fills(page: Any, venue: Venue) -> None:
    connect_account(page, venue)
    resting = place(venue.trader, "sell", "0.005", 99_000)["order_id"]
    taker = place(venue.other, "buy", "0.005", 99_000, "ioc")
    executions = [e for e in taker["orderEvents"] if e["type"] == "EXECUTION"]
    assert executions, taker
    uid = executions[0]["executionId"]
    expect(page.locator(f'#fills-body tr[data-order-id="{resting}"]')).to_have_count(1, timeout=WAIT_MS)
    page.click("#tab-market")
    expect(page.locator(f'#tape-body tr[data-uid="{uid}"]')).to_have_count(1, timeout=WAIT_MS)
    row = page.locator(f'#tape-body tr[data-uid="{uid}"] td')
    expect(row.nth(2)).to_have_text("99,000")
    expect(row.nth(3)).to_have_text("0.005")
    expect(page.locator("#t-last")).to_have_text("99,000", timeout=WAIT_MS)


def test_a_control_action_moves_the_mark_shown(page: Any, venue: Venue) -> None:
    unlock_control(page, venue)
    expect(page.locator("#control-actions")).to_be_visible()
    page.fill("#price-mark", "91234")
    page.click("#price-set")
    expect(page.locator("#control-result")).to_have_text("prices: done", timeout=WAIT_MS)
    expect(page.locator("#t-mark")).to_have_attribute("data-value", "91234", timeout=WAIT_MS)
    expect(page.locator("#t-mark")).to_have_text("91,234")


def test_a_wrong_control_token_unlocks_nothing(page: Any, expected_errors: list[tuple[str, str]]) -> None:
    expected_errors.append(("/_krakensim/v1/clock", "401"))
    page.click("#tab-control")
    page.fill("#control-token", "not-the-token-of-this-server")
    page.click("#control-form button[type=submit]")
    expect(page.locator("#control-result")).to_contain_text("token refused (401", timeout=WAIT_MS)
    expect(page.locator("#control-actions")).to_be_hidden()


def unlock_control(page: Any, venue: Venue) -> None:
    page.click("#tab-control")
    page.fill("#control-token", venue.token)
    page.click("#control-form button[type=submit]")
    expect(page.locator("#control-result")).to_have_text("control API ready", timeout=WAIT_MS)


def test_pause_and_resume_move_the_markets_state_shown(page: Any, venue: Venue) -> None:
    unlock_control(page, venue)
    page.click("#market-pause")
    expect(page.locator("#control-result")).to_have_text("market-state: done", timeout=WAIT_MS)
    expect(page.locator("#t-state")).to_have_text("suspended", timeout=WAIT_MS)
    page.click("#market-resume")
    expect(page.locator("#control-result")).to_have_text("market-state: done", timeout=WAIT_MS)
    expect(page.locator("#t-state")).to_have_text("open", timeout=WAIT_MS)


def test_optional_control_buttons_show_only_when_the_server_has_them(page: Any, venue: Venue) -> None:
    unlock_control(page, venue)
    doc = requests.get(f"{venue.base}/_krakensim/v1/openapi.json", headers={"Authorization": f"Bearer {venue.token}"},
                       timeout=5).json()
    for box, endpoint in (("scenario", "scenarios"), ("reset", "reset")):
        listed = "post" in doc["paths"].get(f"/_krakensim/v1/{endpoint}", {})
        assert listed  # this server has both
        expect(page.locator(f"#{box}-box")).to_be_visible()


def test_a_scenario_runs_from_the_control_view(page: Any, venue: Venue) -> None:
    unlock_control(page, venue)
    page.fill("#scenario-name", '{"name": "crash", "target": "XBT", "percent": 10, "durationMs": 600000}')
    page.click("#scenario-form button[type=submit]")
    expect(page.locator("#control-result")).to_have_text("scenarios: done", timeout=WAIT_MS)
    listed = requests.get(f"{venue.base}/_krakensim/v1/scenarios", headers={"Authorization": f"Bearer {venue.token}"},
                          timeout=5).json()["scenarios"]
    assert [s["name"] for s in listed] == ["crash"]


def test_a_new_account_from_the_control_view_is_usable_in_the_account_view(page: Any, venue: Venue) -> None:
    unlock_control(page, venue)
    page.fill("#create-usd", "2500")
    page.click("#create-form button[type=submit]")
    expect(page.locator("#created")).to_be_visible(timeout=WAIT_MS)
    page.click("#created-use")
    expect(page.locator("#view-account")).to_be_visible()
    expect(page.locator("#b-balance")).to_have_text("2,500.00", timeout=WAIT_MS)


def test_an_existing_account_picked_in_the_control_view_shows_in_the_account_view(page: Any, venue: Venue) -> None:
    made = requests.post(f"{venue.base}/_krakensim/v1/accounts", json={"usd": "4321.5"},
                         headers={"Authorization": f"Bearer {venue.token}"}, timeout=5).json()
    unlock_control(page, venue)
    expect(page.locator("#accounts-box")).to_be_visible()
    option = page.locator(f"#accounts-pick option[value='{made['accountUid']}']")
    expect(option).to_have_text(f"{made['accountUid']}: 4,321.50 USD")
    page.select_option("#accounts-pick", made["accountUid"])
    page.focus("#accounts-use")  # by keyboard: the button is reachable and Enter uses it
    page.keyboard.press("Enter")
    expect(page.locator("#view-account")).to_be_visible()
    expect(page.locator("#account-status")).to_contain_text(f"connected as {made['apiKey'][:8]}", timeout=WAIT_MS)
    expect(page.locator("#b-balance")).to_have_text("4,321.50", timeout=WAIT_MS)


def test_another_instrument_shows_its_own_book(page: Any, venue: Venue) -> None:
    venue.other.call("POST", "sendorder", {"orderType": "lmt", "symbol": "PF_ETHUSD", "side": "buy", "size": "0.5",
                                           "limitPrice": "2500"})
    page.select_option("#instrument", "PF_ETHUSD")
    book = venue.trader.call("GET", "orderbook", {"symbol": "PF_ETHUSD"})["orderBook"]
    want = [["sell", p, q] for p, q in reversed(sorted(book["asks"])[:20])] + \
        [["buy", p, q] for p, q in sorted(book["bids"], reverse=True)[:20]]
    assert ["buy", 2500, 0.5] in want
    page.wait_for_function(f"want => JSON.stringify(({LADDER_JS})()) === JSON.stringify(want)", arg=want,
                           timeout=WAIT_MS)


@pytest.fixture(scope="module")
def manual_clock_base() -> Iterator[str]:
    """A second, empty server whose clock moves only through the control API."""
    port = free_port()
    proc = start_server(port, [], "--memory", "--clock", "manual", "--start-time", "2026-03-02T10:00:00Z")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_control_view_advances_a_manual_clock(chromium: Any, manual_clock_base: str, venue: Venue) -> None:
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(manual_clock_base + "/#view=control")
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#view-control")).to_be_visible()
        unlock_control(page, venue)  # every server of these tests has the same token
        expect(page.locator("#clock-now")).to_have_text("2026-03-02T10:00:00.000Z (manual clock)")
        page.fill("#clock-advance", "90000")
        page.click("#clock-form button[type=submit]")
        expect(page.locator("#clock-now")).to_have_text("2026-03-02T10:01:30.000Z (manual clock)", timeout=WAIT_MS)
        now = requests.get(f"{manual_clock_base}/_krakensim/v1/clock", headers={"Authorization": f"Bearer {venue.token}"},
                           timeout=5).json()["now"]
        assert now == "2026-03-02T10:01:30.000Z"
    finally:
        page.evaluate("sessionStorage.clear()")
        page.close()
    assert errors == []
