"""A single-collateral margin account (``fi_xbtusd``) liquidated over loopback, seen by the unchanged
clients (every response validated against the spec's schemas)."""

from __future__ import annotations

from kraken.futures import User
from test_ws_private import private_ws

from apihelpers import Creds, Venue, num
from wshelpers import run

PI = "PI_XBTUSD"
PI_CCXT = "BTC/USD:BTC"


def in_bitcoin(venue: Venue, xbt: str) -> Creds:
    a = venue.srv.admin("accounts", {"wallets": {"fi_xbtusd": {"XBT": xbt}}})
    return Creds(a["apiKey"], a["apiSecret"], a["accountUid"])


def test_an_inverse_long_margined_in_bitcoin_is_liquidated_when_its_margin_account_falls(venue: Venue) -> None:
    long, maker = in_bitcoin(venue, "0.3"), in_bitcoin(venue, "1000")
    el, em = venue.ccxt(long), venue.ccxt(maker)
    venue.prices(PI, mark=90000, index=90000)
    em.create_order(PI_CCXT, "limit", "sell", 100000, 90000)
    el.create_order(PI_CCXT, "limit", "buy", 100000, 90000, {"timeInForce": "ioc"})  # 100,000 USD on 0.3 XBT
    em.create_order(PI_CCXT, "limit", "buy", 200000, 71400)  # the book absorbs it above the bankruptcy price
    venue.prices(PI, mark=72000)
    assert [num(p["contracts"]) for p in el.fetch_positions()] == [100000]  # still above maintenance margin
    venue.prices(PI, mark=71500)

    assert el.fetch_positions() == []
    fills = el.privateGetFills()["fills"]  # newest first
    assert fills[0]["fillType"] == "liquidation" and fills[0]["size"] == 100000 and fills[0]["price"] == 71400
    account = venue.sdk(User, long).get_wallets()["accounts"]["fi_xbtusd"]
    left = num(account["balances"]["xbt"])
    assert 0 <= left < 0.3 - 100000 * (1 / 71400 - 1 / 90000)  # the loss, the fees, the liquidation fee

    async def log() -> list[dict[str, object]]:
        ws, first = await private_ws(venue, long, "account_log")
        await ws.close()
        return first["account_log"]["logs"]  # type: ignore[return-value]

    logs = run(log())  # newest first
    assert [e["info"] for e in logs[:3]] == ["futures liquidation"] * 3  # the fee, the fill's two legs
    assert logs[0]["asset"] == "xbt" and num(logs[0]["liquidation_fee"]) > 0  # the fee, in bitcoin
    assert logs[1]["asset"] == "xbt" and logs[1]["contract"] == "pi_xbtusd"  # the fill's margin-account leg
    assert logs[2]["asset"] == "pi_xbtusd" and logs[2]["new_balance"] == 0  # its position leg: closed
