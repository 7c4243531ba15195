"""Transfers and subaccounts over the wire: ``transfer`` between wallets, ``transfer/subaccount``, ``withdrawal``
to the spot wallet, ``subaccounts``, ``subaccount/{uid}/trading-enabled``; python-kraken-sdk ``Funding`` and
``User``, ccxt ``transfer``; Kraken's refusals (invalidAccount, invalidUnit, invalidAmount, insufficientFunds)."""

from __future__ import annotations

from typing import Any

import requests
from kraken.futures import Funding, User

from apihelpers import XBT_ID, Creds, Venue, bearer, num

PRICE = 90000


def account(venue: Venue, usd: str = "1000", master: str | None = None, **balances: str) -> Creds:
    body: dict[str, Any] = {"usd": usd, "balances": balances}
    if master is not None:
        body["master"] = master
    out = venue.srv.admin("accounts", body)
    return Creds(out["apiKey"], out["apiSecret"], out["accountUid"])


def wallets(venue: Venue, creds: Creds) -> dict[str, Any]:
    return requests.get(venue.base + "/_krakensim/v1/wallets", params={"accountUid": creds.account_uid},
                        headers=bearer(venue.srv.admin_token), timeout=10).json()


def test_wallet_transfers_move_funds_between_flex_cash_and_margin_accounts(venue: Venue) -> None:
    a = account(venue, "1000", XBT="1")
    funding = venue.sdk(Funding, a)
    assert funding.initiate_wallet_transfer(amount=250, fromAccount="flex", toAccount="cash", unit="usd")[
        "result"] == "success"
    assert funding.initiate_wallet_transfer(amount="0.4", fromAccount="flex", toAccount="fi_xbtusd", unit="xbt")[
        "result"] == "success"
    got = venue.sdk(User, a).get_wallets()["accounts"]
    assert got["cash"]["balances"]["usd"] == "250"
    assert got["fi_xbtusd"]["balances"] == {"xbt": "0.4"}
    assert num(got["flex"]["currencies"]["USD"]["quantity"]) == 750
    assert num(got["flex"]["currencies"]["XBT"]["quantity"]) == 0.6


def test_transfer_refusals_are_krakens_words_and_change_nothing(venue: Venue) -> None:
    a = account(venue, "100")
    raw = venue.raw(a)
    cases = [
        ("fromAccount=flex&toAccount=nowhere&unit=usd&amount=1", "invalidAccount"),
        ("fromAccount=flex&toAccount=fi_xbtusd&unit=usd&amount=1", "invalidUnit"),
        ("fromAccount=flex&toAccount=cash&unit=doge_coin&amount=1", "invalidUnit"),
        ("fromAccount=flex&toAccount=cash&unit=usd&amount=-1", "invalidAmount"),
        ("fromAccount=flex&toAccount=cash&unit=usd&amount=abc", "invalidAmount"),
        ("fromAccount=flex&toAccount=cash&unit=usd&amount=101", "insufficientFunds"),
        ("fromAccount=flex&toAccount=flex&unit=usd&amount=1", "invalidAccount"),
    ]
    for body, error in cases:
        got = raw.v3json("POST", "transfer", body=body)
        assert (got["result"], got["error"]) == ("error", error), body
    assert wallets(venue, a)["flex"] == {"USD": "100"} and wallets(venue, a)["cash"] == {}


def test_flex_keeps_what_open_positions_need(venue: Venue) -> None:
    """Collateral that backs a position's margin cannot leave the flex wallet."""
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    maker, taker = account(venue, "1000000"), account(venue, "2000")
    venue.raw(maker).v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=sell&size=1&limitPrice={PRICE}")
    got = venue.raw(taker).v3json("POST", "sendorder",
                                  f"orderType=ioc&symbol={XBT_ID}&side=buy&size=1&limitPrice={PRICE}")
    assert got["sendStatus"]["status"] == "placed"
    raw = venue.raw(taker)
    # 2 000 − 45 fee = 1 955; 1 800 of initial margin: 155 may leave, 156 may not
    assert raw.v3json("POST", "transfer", body="fromAccount=flex&toAccount=cash&unit=usd&amount=156")[
        "error"] == "insufficientFunds"
    assert raw.v3json("POST", "transfer", body="fromAccount=flex&toAccount=cash&unit=usd&amount=155")[
        "result"] == "success"


def test_withdrawal_to_spot_wallet(venue: Venue) -> None:
    a = account(venue, "500", ETH="2")
    funding = venue.sdk(Funding, a)
    got = funding.initiate_withdrawal_to_spot_wallet(amount="0.5", currency="eth", sourceWallet="flex")
    assert got["result"] == "success" and got["uid"]
    assert funding.initiate_wallet_transfer(amount=100, fromAccount="flex", toAccount="cash", unit="usd")[
        "result"] == "success"
    ex = venue.ccxt(a)
    ex.transfer("USD", 40, "future", "spot")  # ccxt: from the cash account to spot
    w = wallets(venue, a)
    assert w["spot"] == {"ETH": "0.5", "USD": "40"} and w["cash"] == {"USD": "60"} and w["flex"]["ETH"] == "1.5"
    raw = venue.raw(a)
    assert raw.v3json("POST", "withdrawal", body="currency=usd&amount=61")["error"] == "insufficientFunds"
    assert raw.v3json("POST", "withdrawal", body="currency=usd&amount=1&sourceWallet=spot")[
        "error"] == "invalidAccount"


def test_ccxt_transfer_between_wallets(venue: Venue) -> None:
    a = account(venue, "500")
    ex = venue.ccxt(a)
    ex.transfer("USD", 125, "flex", "cash")
    assert wallets(venue, a)["cash"] == {"USD": "125"}


def test_master_sees_and_moves_its_subaccounts(venue: Venue) -> None:
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    master = account(venue, "10000")
    sub = account(venue, "0", master=master.account_uid, ETH="1")
    stranger = account(venue, "10")
    user = venue.sdk(User, master)
    listed = user.get_subaccounts()
    assert listed["masterAccountUid"] == master.account_uid
    [entry] = listed["subaccounts"]
    assert entry["accountUid"] == sub.account_uid
    eth = next(c for c in entry["flexAccount"]["currencies"] if c["currency"] == "eth")
    assert eth["quantity"] == 1 and num(eth["collateral"]) == num(eth["value"]) * 0.97
    funding = venue.sdk(Funding, master)
    assert funding.initiate_subaccount_transfer(amount=300, fromAccount="flex", fromUser=master.account_uid,
                                                toAccount="flex", toUser=sub.account_uid, unit="usd")[
        "result"] == "success"
    assert wallets(venue, sub)["flex"]["USD"] == "300" and wallets(venue, master)["flex"]["USD"] == "9700"
    assert funding.initiate_subaccount_transfer(amount="0.5", fromAccount="flex", fromUser=sub.account_uid,
                                                toAccount="cash", toUser=master.account_uid, unit="eth")[
        "result"] == "success"
    assert wallets(venue, master)["cash"] == {"ETH": "0.5"}
    raw = venue.raw(master)
    body = (f"fromUser={master.account_uid}&toUser={stranger.account_uid}&fromAccount=flex&toAccount=flex"
            "&unit=usd&amount=1")
    assert raw.v3json("POST", "transfer/subaccount", body=body)["error"] == "invalidAccount"
    assert venue.sdk(User, sub).get_subaccounts()["subaccounts"] == []


def test_a_subaccount_with_trading_disabled_is_refused_orders(venue: Venue) -> None:
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    master = account(venue, "10000")
    sub = account(venue, "10000", master=master.account_uid)
    user = venue.sdk(User, master)
    assert user.check_trading_enabled_on_subaccount(subaccountUid=sub.account_uid) == {"tradingEnabled": True}
    assert user.set_trading_on_subaccount(subaccountUid=sub.account_uid, trading_enabled=False) == {
        "tradingEnabled": False}
    order = f"orderType=lmt&symbol={XBT_ID}&side=buy&size=0.01&limitPrice=80000"
    refused = venue.raw(sub).v3json("POST", "sendorder", body=order)
    assert (refused["result"], refused["error"]) == ("error", "accountInactive")
    user.set_trading_on_subaccount(subaccountUid=sub.account_uid, trading_enabled=True)
    assert venue.raw(sub).v3json("POST", "sendorder", body=order)["sendStatus"]["status"] == "placed"
    # a uid that is not one of the master's subaccounts: 404 (the spec documents it without a body schema)
    with venue.recorder.unvalidated():
        r = venue.raw(master).v3("GET", f"subaccount/{master.account_uid}/trading-enabled")
    assert r.status_code == 404 and r.json()["error"] == "notFound"
