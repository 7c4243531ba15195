"""Wallets, tiered margin, leverage and PnL preferences over the wire, with the unchanged clients: the flex
wallet holding several currencies valued at their index with Kraken's haircuts, deposits and withdrawals
through the control API, ``accounts``/``openpositions`` values, ccxt ``fetch_balance``, ``set_leverage``,
``fetch_leverage(s)``, ``fetch_leverage_tiers``, ``fetch_positions``."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from kraken.futures import User

from apihelpers import BTC, XBT_ID, Creds, Venue, bearer, num, send_ok

PRICE = 90000


def admin_raw(venue: Venue, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(venue.base + "/_krakensim/v1/" + path, json=body, headers=bearer(venue.srv.admin_token),
                         timeout=10)


def funded(venue: Venue, usd: str = "100000", **balances: str) -> Creds:
    out = venue.srv.admin("accounts", {"usd": usd, "balances": balances})
    return Creds(out["apiKey"], out["apiSecret"], out["accountUid"])


def flex(venue: Venue, creds: Creds) -> dict[str, Any]:
    got = venue.sdk(User, creds).get_wallets()
    assert got["result"] == "success", got
    return got["accounts"]["flex"]


def cross(venue: Venue, maker: Creds, taker: Creds, size: str, price: int = PRICE, side: str = "buy") -> None:
    """``taker`` takes ``size`` PF_XBTUSD (on ``side``) from a resting order of ``maker``."""
    other = "sell" if side == "buy" else "buy"
    send_ok(venue.raw(maker).v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side={other}"
                                                          f"&size={size}&limitPrice={price}"))
    send_ok(venue.raw(taker).v3json("POST", "sendorder", f"orderType=ioc&symbol={XBT_ID}&side={side}"
                                                          f"&size={size}&limitPrice={price}"))


def test_flex_wallet_values_every_currency_at_its_index_with_haircuts(venue: Venue) -> None:
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    venue.srv.admin("prices", {"currency": "EUR", "index": "1.1"})
    a = funded(venue, "1000", EUR="2000", XBT="0.5", USDT="300")
    f = flex(venue, a)
    cur = f["currencies"]
    assert set(cur) == {"USD", "EUR", "XBT", "USDT"}
    assert (num(cur["EUR"]["quantity"]), num(cur["EUR"]["value"]), num(cur["EUR"]["collateral"])) == (2000, 2200, 2178)
    assert (num(cur["XBT"]["value"]), num(cur["XBT"]["collateral"])) == (45000, 43650)  # 3 % haircut
    assert (num(cur["USDT"]["value"]), num(cur["USDT"]["collateral"])) == (300, 297)  # 1 %
    assert num(f["balanceValue"]) == 1000 + 2200 + 45000 + 300
    assert num(f["collateralValue"]) == 1000 + 2178 + 43650 + 297
    assert num(f["marginEquity"]) == num(f["availableMargin"]) == num(f["collateralValue"])
    assert num(f["portfolioValue"]) == num(f["balanceValue"])
    # the index of XBT is PF_XBTUSD's: moving it moves the wallet
    venue.prices(XBT_ID, index=80000)
    assert num(flex(venue, a)["currencies"]["XBT"]["value"]) == 40000


def test_control_api_deposits_and_withdraws_any_currency(venue: Venue) -> None:
    a = funded(venue, "0")
    out = venue.srv.admin("deposit", {"accountUid": a.account_uid, "currency": "eth", "amount": "2.5"})
    assert out["flex"]["ETH"] == "2.5"
    venue.srv.admin("deposit", {"accountUid": a.account_uid, "currency": "XBT", "amount": "1", "wallet": "fi_xbtusd"})
    out = venue.srv.admin("withdraw", {"accountUid": a.account_uid, "currency": "ETH", "amount": "1"})
    assert out["flex"]["ETH"] == "1.5" and out["marginAccounts"] == {"fi_xbtusd": "1"}
    refusals = [
        ({"currency": "DOGGO", "amount": "1"}, "invalidUnit"),
        ({"currency": "ETH", "amount": "-1"}, "invalidAmount"),
        ({"currency": "ETH", "amount": "0.000000001"}, "invalidAmount"),
        ({"currency": "ETH", "amount": "1", "wallet": "fi_dogeusd"}, "invalidAccount"),
        ({"currency": "ETH", "amount": "1", "wallet": "fi_xbtusd"}, "invalidUnit"),
    ]
    for body, error in refusals:
        r = admin_raw(venue, "deposit", {"accountUid": a.account_uid, **body})
        assert (r.status_code, r.json()["error"]) == (400, error), body
    r = admin_raw(venue, "withdraw", {"accountUid": a.account_uid, "currency": "ETH", "amount": "2"})
    assert (r.status_code, r.json()["error"]) == (400, "insufficientFunds")
    r = admin_raw(venue, "deposit", {"accountUid": "nobody", "currency": "ETH", "amount": "2"})
    assert r.status_code == 404
    wallets = requests.get(venue.base + "/_krakensim/v1/wallets", params={"accountUid": a.account_uid},
                           headers=bearer(venue.srv.admin_token), timeout=10).json()
    assert wallets["flex"] == {"USD": "0", "ETH": "1.5"}
    accounts = venue.sdk(User, a).get_wallets()["accounts"]
    assert accounts["fi_xbtusd"]["balances"] == {"xbt": "1"} and accounts["fi_xbtusd"]["currency"] == "xbt"
    assert num(accounts["fi_xbtusd"]["auxiliary"]["pv"]) == 1


def test_ccxt_fetch_balance_lists_several_currencies(venue: Venue) -> None:
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    a = funded(venue, "500", EUR="100", XBT="0.25")
    balance = venue.ccxt(a).fetch_balance()
    assert balance["total"]["USD"] == 500 and balance["total"]["EUR"] == 100 and balance["total"]["BTC"] == 0.25
    cash = venue.ccxt(a).fetch_balance({"type": "cashAccount"})
    assert cash["total"].get("USD", 0) == 0


def test_margin_is_tiered_over_every_margin_level(venue: Venue) -> None:
    """10 BTC at 90 000 is 900 000 USD: 500 000 at level I (2 %), 400 000 at level II (4 %)."""
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    maker, taker = venue.account("1000000"), venue.account("1000000")
    cross(venue, maker, taker, "10")
    f = flex(venue, taker)
    assert num(f["initialMargin"]) == 500000 * 0.02 + 400000 * 0.04
    assert num(f["maintenanceMargin"]) == 500000 * 0.01 + 400000 * 0.02
    tiers = venue.ccxt(taker).fetch_leverage_tiers([BTC])[BTC]
    assert [t["maintenanceMarginRate"] for t in tiers][:2] == [0.01, 0.02]


def test_an_order_is_checked_against_the_tiered_requirement(venue: Venue) -> None:
    """30 000 USD affords 1 000 000 of notional at the first level's 2 %, but the tiers ask 30 000 for
    900 000 (10 000 + 16 000) and more than 30 000 for 1 000 000 (10 000 + 20 000 + fees)."""
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    maker, taker = venue.account("1000000"), venue.account("29000")
    raw = venue.raw(taker)
    send_ok(venue.raw(maker).v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=sell&size=12"
                                                          f"&limitPrice={PRICE}"))
    refused = raw.v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=11.1&limitPrice={PRICE}")
    assert refused["sendStatus"]["status"] == "insufficientAvailableFunds"
    send_ok(raw.v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=10&limitPrice={PRICE}"))


def test_leverage_preferences_make_a_position_isolated(venue: Venue) -> None:
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    maker, taker = venue.account("1000000"), venue.account("100000")
    ex = venue.ccxt(taker)
    ex.set_leverage(5, BTC)
    assert ex.fetch_leverage(BTC)["longLeverage"] == 5
    assert list(ex.fetch_leverages([BTC])) == [BTC]
    cross(venue, maker, taker, "1")
    f = flex(venue, taker)
    assert num(f["initialMargin"]) == 90000 / 5  # isolated: notional / maximum leverage
    positions = venue.sdk(User, taker).get_open_positions()["openPositions"]
    assert positions[0]["maxFixedLeverage"] == 5 and positions[0]["pnlCurrency"] == "USD"
    assert ex.fetch_positions([BTC])[0]["contracts"] == 1
    # back to cross margin: no maxLeverage
    raw = venue.raw(taker)
    assert raw.v3json("PUT", "leveragepreferences", f"symbol={XBT_ID}")["result"] == "success"
    assert raw.v3json("GET", "leveragepreferences")["leveragePreferences"] == []
    assert num(flex(venue, taker)["initialMargin"]) == 90000 * 0.02


def test_fixed_leverage_too_high(venue: Venue) -> None:
    """At 50× a position may not pass the first level (500 000 USD), whose 2 % is the only 50× one."""
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    maker, taker = venue.account("1000000"), venue.account("1000000")
    raw = venue.raw(taker)
    assert raw.v3json("PUT", "leveragepreferences", f"symbol={XBT_ID}&maxLeverage=50")["result"] == "success"
    send_ok(venue.raw(maker).v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=sell&size=10"
                                                          f"&limitPrice={PRICE}"))
    got = raw.v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=6&limitPrice={PRICE}")
    assert got["sendStatus"]["status"] == "fixedLeverageTooHigh"
    send_ok(raw.v3json("POST", "sendorder", f"orderType=lmt&symbol={XBT_ID}&side=buy&size=5&limitPrice={PRICE}"))
    refused = raw.v3json("PUT", "leveragepreferences", f"symbol={XBT_ID}&maxLeverage=51")
    assert refused == {"result": "error", "error": "invalidArgument", "serverTime": refused["serverTime"]}
    refused = raw.v3json("PUT", "leveragepreferences", "symbol=PI_XBTUSD&maxLeverage=5")
    assert refused["error"] == "invalidArgument"  # not a multi-collateral contract


def test_pnl_preference_pays_a_profit_in_the_chosen_currency(venue: Venue) -> None:
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    maker, taker = venue.account("1000000"), venue.account("100000")
    raw = venue.raw(taker)
    assert raw.v3json("PUT", "pnlpreferences", f"symbol={XBT_ID}&pnlPreference=BTC")["result"] == "success"
    assert raw.v3json("GET", "pnlpreferences")["preferences"] == [{"symbol": XBT_ID, "pnlCurrency": "BTC"}]
    cross(venue, maker, taker, "1")
    positions = venue.sdk(User, taker).get_open_positions()["openPositions"]
    assert positions[0]["pnlCurrency"] == "BTC"
    usd_before = num(flex(venue, taker)["currencies"]["USD"]["quantity"])
    cross(venue, maker, taker, "1", price=PRICE + 1000, side="sell")  # +1 000 USD realised, paid in XBT
    f = flex(venue, taker)
    fee = (PRICE + 1000) * 0.0005
    assert num(f["currencies"]["USD"]["quantity"]) == pytest.approx(usd_before - fee)
    # 1 000 USD less the 0.5 % conversion fee, at the XBT index (90 000); the index is unchanged by trades
    assert num(f["currencies"]["XBT"]["quantity"]) == pytest.approx(995 / 90000, abs=1e-8)
    bad = raw.v3json("PUT", "pnlpreferences", f"symbol={XBT_ID}&pnlPreference=DOGE")
    assert bad["error"] == "invalidArgument"


def test_sdk_user_wallets_and_positions_validate(venue: Venue) -> None:
    venue.prices(XBT_ID, mark=PRICE, index=PRICE)
    maker, taker = venue.account("1000000"), funded(venue, "100000", ETH="1", GBP="50")
    cross(venue, maker, taker, "0.5")
    user = venue.sdk(User, taker)
    wallets = user.get_wallets()
    assert set(wallets["accounts"]) == {"cash", "flex", "fi_xbtusd"}
    positions = user.get_open_positions()["openPositions"]
    assert [p["symbol"] for p in positions] == [XBT_ID] and positions[0]["size"] == 0.5


def test_inverse_contracts_are_margined_in_base_currency_from_their_margin_account(venue: Venue) -> None:
    """PI_XBTUSD: 9 000 contracts of 1 USD at 90 000 are 0.1 XBT; 2 % initial margin is 0.002 XBT, 1 %
    maintenance 0.001 XBT; the flex wallet's USD does not margin them."""
    pi = "PI_XBTUSD"
    venue.prices(pi, mark=PRICE, index=PRICE)
    usd_only = venue.account("1000000")
    order = f"orderType=lmt&symbol={pi}&side=buy&size=9000&limitPrice={PRICE}"
    assert venue.raw(usd_only).v3json("POST", "sendorder", order)["sendStatus"]["status"] == (
        "insufficientAvailableFunds")
    maker = venue.srv.admin("accounts", {"usd": "0", "wallets": {"fi_xbtusd": {"XBT": "10"}}})
    taker = venue.srv.admin("accounts", {"usd": "500", "wallets": {"fi_xbtusd": {"XBT": "1"}}})
    mk, tk = (Creds(a["apiKey"], a["apiSecret"], a["accountUid"]) for a in (maker, taker))
    send_ok(venue.raw(mk).v3json("POST", "sendorder", f"orderType=lmt&symbol={pi}&side=sell&size=9000"
                                                       f"&limitPrice={PRICE}"))
    send_ok(venue.raw(tk).v3json("POST", "sendorder", f"orderType=ioc&symbol={pi}&side=buy&size=9000"
                                                       f"&limitPrice={PRICE}"))
    accounts = venue.sdk(User, tk).get_wallets()["accounts"]
    fi = accounts["fi_xbtusd"]
    fee = 9000 * 0.0005 / PRICE  # the taker fee, in XBT
    assert fi["balances"][pi] == "9000" and num(fi["balances"]["xbt"]) == pytest.approx(1 - fee, abs=1e-8)
    req = fi["marginRequirements"]
    assert (num(req["im"]), num(req["mm"])) == (pytest.approx(0.002), pytest.approx(0.001))
    assert num(req["lt"]) == pytest.approx(0.0015) and num(req["tt"]) == pytest.approx(0.0006)
    assert num(fi["auxiliary"]["af"]) == pytest.approx(1 - fee - 0.002, abs=1e-8)
    flex_wallet = accounts["flex"]
    assert num(flex_wallet["initialMargin"]) == 0 and num(flex_wallet["balanceValue"]) == 500
    # the mark rises 10 %: the long gains 9 000 × (1/90 000 − 1/99 000) XBT
    venue.prices(pi, mark=99000)
    fi = venue.sdk(User, tk).get_wallets()["accounts"]["fi_xbtusd"]
    assert num(fi["auxiliary"]["pnl"]) == pytest.approx(9000 * (1 / 90000 - 1 / 99000), abs=1e-8)
    estimates = fi["triggerEstimates"]
    assert 0 < num(estimates["tt"]) < num(estimates["mm"]) < num(estimates["lt"]) < num(estimates["im"]) < 99000
    # closing realises the gain in XBT, into the margin account
    venue.prices(pi, mark=PRICE)
    send_ok(venue.raw(mk).v3json("POST", "sendorder", f"orderType=lmt&symbol={pi}&side=buy&size=9000"
                                                       f"&limitPrice=99000"))
    venue.prices(pi, mark=99000)
    send_ok(venue.raw(tk).v3json("POST", "sendorder", f"orderType=ioc&symbol={pi}&side=sell&size=9000"
                                                       f"&limitPrice=99000"))
    fi = venue.sdk(User, tk).get_wallets()["accounts"]["fi_xbtusd"]
    gain = 9000 * (1 / 90000 - 1 / 99000) - 9000 * 0.0005 / 99000
    assert num(fi["balances"]["xbt"]) == pytest.approx(1 - fee + gain, abs=2e-8)
    assert num(venue.sdk(User, tk).get_wallets()["accounts"]["flex"]["balanceValue"]) == 500
