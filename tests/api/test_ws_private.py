"""WebSocket v1 private feeds against the REST API of the same venue (shared/spec/ws/private-feeds.md):
open orders with every reason, fills, positions, balances, the account log, notifications; each
account sees only its own. Every message is schema-checked."""

from __future__ import annotations

from typing import Any

import pytest

from apihelpers import BTC, MANUAL_START_MS, Creds, Venue, uid
from wshelpers import Ws, feed, run, ws_url

PRIVATE = ("open_orders", "open_orders_verbose", "fills", "open_positions", "balances", "account_log",
           "notifications_auth")


async def private_ws(venue: Venue, creds: Creds, *feeds: str) -> tuple[Ws, dict[str, dict[str, Any]]]:
    """A connection subscribed to ``feeds`` for ``creds``: each ack exactly as the SDK's tests read it, then
    its first message (returned by feed)."""
    ws = await Ws.open(ws_url(venue.base))
    first: dict[str, dict[str, Any]] = {}
    for name in feeds:
        await ws.private(name, creds)
        assert await ws.recv() == {"event": "subscribed", "feed": name}
        first[name] = await ws.recv()
    return ws, first


def test_open_orders_snapshot_then_every_change_with_its_reason(venue: Venue) -> None:
    a, b = venue.account(), venue.account()
    ea, eb = venue.ccxt(a), venue.ccxt(b)
    resting = ea.create_order(BTC, "limit", "buy", 0.003, 89000, {"clientOrderId": "before"})
    stop = ea.create_order(BTC, "stop", "sell", 0.001, None, {"stopPrice": 85000, "triggerSignal": "mark"})

    async def go() -> None:
        ws, first = await private_ws(venue, a, "open_orders")
        snap = first["open_orders"]
        assert ws.raw[-1].startswith('{"feed":"open_orders_snapshot","account":"' + a.account_uid + '"')
        by_id = {o["order_id"]: o for o in snap["orders"]}
        assert set(by_id) == {resting["id"], stop["id"]}
        assert by_id[resting["id"]] | {"time": 0, "last_update_time": 0} == {
            "instrument": "PF_XBTUSD", "time": 0, "last_update_time": 0, "qty": 0.003, "filled": 0,
            "limit_price": 89000, "stop_price": 0, "type": "limit", "order_id": resting["id"],
            "cli_ord_id": "before", "direction": 0, "reduce_only": False}
        s = by_id[stop["id"]]
        assert (s["type"], s["stop_price"], s["triggerSignal"], s["direction"]) == ("stop", 85000, "mark", 1)
        assert "limit_price" not in s  # a market stop

        async def next_update() -> dict[str, Any]:
            return await ws.until(feed("open_orders"))

        placed = ea.create_order(BTC, "limit", "buy", 0.002, 88000, {"clientOrderId": "mine"})
        m = await next_update()
        assert (m["reason"], m["is_cancel"], m["order"]["order_id"], m["order"]["qty"]) == (
            "new_placed_order_by_user", False, placed["id"], 0.002)
        assert m["order"]["cli_ord_id"] == "mine"
        ea.edit_order(placed["id"], BTC, "limit", "buy", 0.004, 88100)
        m = await next_update()
        assert (m["reason"], m["order"]["limit_price"], m["order"]["qty"]) == ("edited_by_user", 88100, 0.004)
        assert m["order"]["last_update_time"] >= m["order"]["time"]
        eb.create_order(BTC, "limit", "sell", 0.001, 89000, {"timeInForce": "ioc"})  # a partial fill of `resting`
        m = await next_update()
        assert (m["reason"], m["is_cancel"], m["order"]["qty"], m["order"]["filled"]) == (
            "partial_fill", False, 0.002, 0.001)
        eb.create_order(BTC, "limit", "sell", 0.002, 89000, {"timeInForce": "ioc"})  # and the rest
        assert await next_update() == {"feed": "open_orders", "order_id": resting["id"], "cli_ord_id": "before",
                                       "is_cancel": True, "reason": "full_fill"}
        ea.cancel_order(placed["id"], BTC)
        assert await next_update() == {"feed": "open_orders", "order_id": placed["id"], "cli_ord_id": "mine",
                                       "is_cancel": True, "reason": "cancelled_by_user"}
        # a trigger: placed, then fired (stop_order_triggered), its order rests (limit_order_from_stop)
        take = ea.create_order(BTC, "limit", "sell", 0.001, 95500,
                               {"stopPrice": 95000, "triggerSignal": "mark", "clientOrderId": "tp"})
        m = await next_update()
        assert (m["reason"], m["order"]["type"], m["order"]["stop_price"], m["order"]["limit_price"]) == (
            "new_placed_order_by_user", "stop", 95000, 95500)
        venue.prices(mark=95000)
        assert await next_update() == {"feed": "open_orders", "order_id": take["id"], "cli_ord_id": "tp",
                                       "is_cancel": True, "reason": "stop_order_triggered"}
        m = await next_update()
        assert (m["reason"], m["is_cancel"], m["order"]["order_id"], m["order"]["type"]) == (
            "limit_order_from_stop", False, take["id"], "limit")
        # the dead man's switch takes the rest
        ea.privatePostCancelallordersafter({"timeout": 60})
        venue.advance(61_000)
        gone = {(await next_update())["order_id"] for _ in range(2)}
        assert gone == {take["id"], stop["id"]}
        assert all(m["reason"] == "dead_man_switch" for m in ws.seen[-2:])
        # a post-only order that would cross is never open: nothing on this feed
        eb.create_order(BTC, "limit", "sell", 0.001, 90000)
        with pytest.raises(Exception):  # noqa: B017 - ccxt raises OrderImmediatelyFillable
            ea.create_order(BTC, "limit", "buy", 0.001, 90000, {"postOnly": True})
        assert [m for m in await ws.drain(0.5) if m.get("feed") == "open_orders"] == []
        await ws.close()

    run(go())


def test_the_verbose_feed_adds_the_rejections(venue: Venue) -> None:
    a, b = venue.account(), venue.account()
    ea, eb = venue.ccxt(a), venue.ccxt(b)
    eb.create_order(BTC, "limit", "sell", 0.001, 90000)

    async def go() -> None:
        ws, _ = await private_ws(venue, a, "open_orders_verbose", "open_orders")
        with pytest.raises(Exception):  # noqa: B017 - ccxt raises OrderImmediatelyFillable
            ea.create_order(BTC, "limit", "buy", 0.001, 90000, {"postOnly": True, "clientOrderId": "po"})
        m = await ws.until(feed("open_orders_verbose"))
        assert (m["reason"], m["is_cancel"], m["order"]["cli_ord_id"], m["order"]["limit_price"]) == (
            "post_order_failed_because_it_would_filled", True, "po", 90000)
        with pytest.raises(Exception):  # noqa: B017 - no liquidity within the limit
            ea.create_order(BTC, "limit", "buy", 0.001, 89000, {"timeInForce": "ioc"})
        m = await ws.until(feed("open_orders_verbose"))
        assert (m["reason"], m["is_cancel"]) == ("ioc_order_failed_because_it_would_not_be_executed", True)
        placed = ea.create_order(BTC, "limit", "buy", 0.001, 88000)
        m = await ws.until(feed("open_orders_verbose"))  # everything else as on open_orders
        assert (m["reason"], m["order"]["order_id"]) == ("new_placed_order_by_user", placed["id"])
        plain = [m for m in ws.seen if feed("open_orders")(m)]  # (it came just before the verbose one)
        assert [(m["reason"], m["order"]["order_id"]) for m in plain] == [("new_placed_order_by_user", placed["id"])]
        await ws.close()

    run(go())


def test_fills_positions_balances_and_the_account_log_follow_a_trade_as_rest_shows_it(venue: Venue) -> None:
    a, b = venue.account(), venue.account()
    ea, eb = venue.ccxt(a), venue.ccxt(b)
    ea.create_order(BTC, "limit", "sell", 0.002, 90000)
    eb.create_order(BTC, "market", "buy", 0.001)  # a fill each before anyone subscribes

    async def go() -> None:
        feeds = ("fills", "open_positions", "balances", "account_log", "notifications_auth")
        wa, first = await private_ws(venue, a, *feeds)
        fills = first["fills"]
        assert fills["feed"] == "fills_snapshot" and fills["account"] == a.account_uid
        assert [f["fill_type"] for f in fills["fills"]] == ["maker"] and fills["fills"][0]["seq"] == 0
        positions = first["open_positions"]
        assert [(p["instrument"], p["balance"], p["entry_price"]) for p in positions["positions"]] == [
            ("PF_XBTUSD", -0.001, 90000)]
        assert positions["seq"] == 0 and positions["timestamp"] == MANUAL_START_MS
        assert first["balances"]["feed"] == "balances_snapshot" and first["balances"]["seq"] == 0
        log = first["account_log"]
        # newest first: the fill's wallet leg, its position leg (as Kraken logs a trade), the funding
        assert [(e["info"], e["asset"]) for e in log["logs"]] == [
            ("futures trade", "usd"), ("futures trade", "pf_xbtusd"), ("admin transfer", "usd")]
        assert log["logs"][0]["execution"] == log["logs"][1]["execution"] == fills["fills"][0]["fill_id"]
        assert first["notifications_auth"] == {"feed": "notifications_auth", "notifications": []}

        eb.create_order(BTC, "market", "buy", 0.001, None, {"clientOrderId": "b-taker"})  # a's second maker fill
        got: dict[str, dict[str, Any]] = {}
        legs: list[dict[str, Any]] = []
        while len(got) < 4:  # the fill's own messages first, then what it changed in the state
            m = await wa.recv()
            got.setdefault(m["feed"], m)
            if m["feed"] == "account_log":
                legs.append(m["new_entry"])
        assert list(got) == ["account_log", "fills", "open_positions", "balances"]  # (the engine logs, then reports)
        live = got["fills"]
        assert live["username"] == a.account_uid and len(live["fills"]) == 1
        fill = live["fills"][0]
        rest = ea.privateGetFills()["fills"][0]  # newest first
        assert (fill["fill_id"], fill["order_id"], fill["price"], fill["qty"], fill["fill_type"]) == (
            rest["fill_id"], rest["order_id"], rest["price"], rest["size"], rest["fillType"])
        assert fill["buy"] is False and fill["seq"] == 1 and fill["remaining_order_qty"] == 0
        assert (fill["order_type"], fill["taker_order_type"], fill["fee_currency"]) == ("limit", "ioc", "USD")
        assert fill["fee_paid"] == pytest.approx(90000 * 0.001 * 0.0002)

        pos = got["open_positions"]
        assert pos["seq"] == 1 and [(p["balance"], p["entry_price"]) for p in pos["positions"]] == [(-0.002, 90000)]
        rest_pos = ea.privateGetOpenpositions()["openPositions"]
        assert [(p["side"], p["size"], p["price"]) for p in rest_pos] == [("short", 0.002, 90000)]
        p = pos["positions"][0]
        assert p["liquidation_threshold"] > 90000 and p["pnl_currency"] == "USD" and "fill_time" in p

        bal = got["balances"]
        flex = bal["flex_futures"]
        rest_flex = ea.privateGetAccounts()["accounts"]["flex"]
        assert bal["seq"] == 1 and bal["account"] == a.account_uid
        assert flex["currencies"]["USD"]["quantity"] == rest_flex["currencies"]["USD"]["quantity"]
        assert flex["available_margin"] == rest_flex["availableMargin"]
        assert flex["initial_margin"] == rest_flex["initialMarginWithOrders"]
        assert flex["initial_margin_without_orders"] == rest_flex["initialMargin"]
        assert flex["portfolio_value"] == rest_flex["portfolioValue"] and flex["pnl"] == rest_flex["pnl"]

        entry, cash = legs  # the position's leg, then the wallet's
        assert entry["id"] == log["logs"][0]["id"] + 1 and entry["execution"] == fill["fill_id"]
        assert (entry["asset"], entry["old_balance"], entry["new_balance"], entry["trade_price"]) == (
            "pf_xbtusd", -0.001, -0.002, 90000)
        assert (cash["id"], cash["asset"], cash["contract"], cash["execution"]) == (
            entry["id"] + 1, "usd", "pf_xbtusd", fill["fill_id"])
        assert cash["fee"] == fill["fee_paid"] and cash["new_balance"] == pytest.approx(
            cash["old_balance"] - fill["fee_paid"])
        await wa.close()

    run(go())


def test_balances_follow_margin_reserved_by_orders(venue: Venue) -> None:
    a = venue.account()
    ea = venue.ccxt(a)

    async def go() -> None:
        ws, first = await private_ws(venue, a, "balances", "account_balances_and_margins")
        before = first["balances"]["flex_futures"]["initial_margin"]
        assert first["account_balances_and_margins"]["margin_accounts"][0]["name"] == "flex"
        placed = ea.create_order(BTC, "limit", "buy", 0.01, 80000)
        bal = await ws.until(feed("balances"))
        assert bal["flex_futures"]["initial_margin"] == pytest.approx(before + 0.01 * 80000 * 0.02)
        legacy = await ws.until(feed("account_balances_and_margins"))
        assert legacy["seq"] == 1 and legacy["margin_accounts"][0]["im"] == bal["flex_futures"]["initial_margin"]
        ea.cancel_order(placed["id"], BTC)
        bal = await ws.until(feed("balances"))
        assert bal["flex_futures"]["initial_margin"] == before and bal["seq"] == 2
        await ws.close()

    run(go())


def test_each_account_sees_only_its_own(venue: Venue) -> None:
    a, b = venue.account(), venue.account()
    ea, eb = venue.ccxt(a), venue.ccxt(b)

    async def go() -> None:
        wa, _ = await private_ws(venue, a, *PRIVATE)
        wb, _ = await private_ws(venue, b, *PRIVATE)
        cli = uid("secret")
        ea.create_order(BTC, "limit", "sell", 0.001, 90000, {"clientOrderId": cli})
        eb.create_order(BTC, "market", "buy", 0.001)
        ea.create_order(BTC, "limit", "buy", 0.001, 85000)
        seen_a = await wa.drain(1.5)
        seen_b = await wb.drain(1.5)
        assert any(m.get("feed") == "fills" for m in seen_a) and any(m.get("feed") == "fills" for m in seen_b)
        text_b = "".join(wb.raw)
        assert a.account_uid not in text_b and cli not in text_b
        assert b.account_uid not in "".join(wa.raw)
        await wa.close()
        await wb.close()

    run(go())


def test_a_read_only_key_may_subscribe_and_the_legacy_feeds_answer(venue: Venue) -> None:
    a = venue.account()
    ro = venue.srv.read_only_key(a.key)

    async def go() -> None:
        ws, first = await private_ws(venue, ro, "open_orders", "deposits_withdrawals")
        assert first["deposits_withdrawals"] == {"feed": "deposits_withdrawals", "elements": []}
        await ws.private("open_orders", ro, event="unsubscribe")
        assert await ws.recv() == {"event": "unsubscribed", "feed": "open_orders"}
        await ws.private("fills", ro, product_ids=["PF_ETHUSD"])
        assert await ws.recv() == {"event": "subscribed", "feed": "fills", "product_ids": ["PF_ETHUSD"]}
        assert (await ws.recv())["fills"] == []
        await ws.close()

    run(go())
