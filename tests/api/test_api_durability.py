"""State survives SIGKILL when the server runs on a durable journal (--data FILE)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import ccxt
import pytest

from apihelpers import BTC, Creds, HttpRecorder, RawClient, ServerProcess, make_ccxt, new_key, new_secret, uid


@pytest.fixture
def durable_server(tmp_path, recorder: HttpRecorder) -> Iterator[ServerProcess]:
    srv = ServerProcess(
        tmp_path,
        [Creds(new_key(), new_secret()), Creds(new_key(), new_secret())],
        data=tmp_path / "journal.db",
    )
    srv.start()
    yield srv
    srv.stop(signal.SIGKILL)


def _client(srv: ServerProcess, creds: Creds, recorder: HttpRecorder) -> ccxt.krakenfutures:
    ex = make_ccxt(srv.base, creds, recorder)
    ex.load_markets()
    return ex


def _quantities(ex: ccxt.krakenfutures) -> dict[str, Any]:
    currencies = ex.privateGetAccounts()["accounts"]["flex"]["currencies"]
    return {code: c["quantity"] for code, c in currencies.items()}


def _snapshot(a: ccxt.krakenfutures, b: ccxt.krakenfutures, ids: dict[str, str]) -> dict[str, Any]:
    def strip(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "serverTime"}

    statuses = strip(a.privateGetOrdersStatus({"orderIds": [ids["resting"]]}))
    book = a.publicGetOrderbook({"symbol": "PF_XBTUSD"})["orderBook"]
    return {
        "open_a": strip(a.privateGetOpenorders()),
        "open_b": strip(b.privateGetOpenorders()),
        "fills_a": strip(a.privateGetFills()),
        "fills_b": strip(b.privateGetFills()),
        "status_resting": statuses,
        "balance_a": _quantities(a),
        "balance_b": _quantities(b),
        "book": book,
    }


def test_restart_after_sigkill_preserves_state(durable_server: ServerProcess, recorder: HttpRecorder) -> None:
    srv = durable_server
    ca, cb = srv.accounts
    a, b = _client(srv, ca, recorder), _client(srv, cb, recorder)

    # an account and a read-only key made through the admin API, and an SDK-style nonce
    extra = srv.new_account()
    extra_ro = srv.read_only_key(extra.key)
    raw_extra = RawClient(srv.base, extra, recorder)
    nonce = str(int(time.time() * 100_000_000))
    process_before = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    extra_body = urlencode(
        {
            "orderType": "lmt",
            "side": "buy",
            "size": "0.0044",
            "symbol": "PF_XBTUSD",
            "limitPrice": "87000",
            "cliOrdId": uid("extra"),
            "processBefore": process_before,
        }
    )
    extra_sent = raw_extra.v3json("POST", "sendorder", body=extra_body, nonce=nonce)
    assert extra_sent["sendStatus"]["status"] == "placed"
    extra_open_before = raw_extra.v3json("GET", "openorders", nonce=str(int(nonce) + 1))["openOrders"]

    resting = a.create_order(BTC, "limit", "buy", 0.0111, 88000, {"clientOrderId": uid("rest")})
    gone = a.create_order(BTC, "limit", "buy", 0.0222, 88001, {"clientOrderId": uid("gone")})
    assert a.cancel_order(gone["id"])["status"] == "canceled"
    sell = a.create_order(BTC, "limit", "sell", 0.0033, 90000, {"clientOrderId": uid("sold")})
    buy = b.create_order(BTC, "limit", "buy", 0.0033, 90000, {"clientOrderId": uid("bought")})
    assert buy["status"] == "closed"
    ids = {"resting": resting["id"], "gone": gone["id"], "sell": sell["id"], "buy": buy["id"]}

    before = _snapshot(a, b, ids)
    assert [o["order_id"] for o in before["open_a"]["openOrders"]] == [resting["id"]]
    assert len(before["fills_a"]["fills"]) == 1 and len(before["fills_b"]["fills"]) == 1

    time.sleep(1.2)  # let processBefore of the journaled order pass before replay
    srv.stop(signal.SIGKILL)
    assert srv.proc is not None and srv.proc.returncode == -signal.SIGKILL
    srv.start()

    raw_extra = RawClient(srv.base, extra, recorder)
    assert raw_extra.v3json("GET", "openorders", nonce=str(int(nonce) + 2))["openOrders"] == extra_open_before
    ro_view = RawClient(srv.base, extra_ro, recorder).v3json("GET", "openorders")
    assert ro_view["openOrders"] == extra_open_before
    replay = raw_extra.v3json("POST", "sendorder", body=extra_body, nonce=nonce)
    assert replay["result"] == "error" and replay["error"] in ("nonceDuplicate", "nonceBelowThreshold")

    a2, b2 = _client(srv, ca, recorder), _client(srv, cb, recorder)
    after = _snapshot(a2, b2, ids)
    for key in before:
        assert after[key] == before[key], f"{key} differs after restart:\n{before[key]}\n!=\n{after[key]}"

    # unified views agree too
    open_ids = [o["id"] for o in a2.fetch_open_orders()]
    assert open_ids == [resting["id"]]
    assert a2.fetch_order(resting["id"])["status"] == "open"
    fills_a = a2.fetch_my_trades(BTC)
    assert [(t["order"], t["takerOrMaker"], t["price"]) for t in fills_a] == [(sell["id"], "maker", 90000)]

    # the cancelled order stays gone, the filled order stays filled
    assert a2.privatePostCancelorder({"order_id": gone["id"]})["cancelStatus"]["status"] == "notFound"
    assert a2.privatePostCancelorder({"order_id": sell["id"]})["cancelStatus"]["status"] == "filled"

    # the restarted server keeps working and issues fresh ids; used cliOrdIds stay taken
    fresh = a2.create_order(BTC, "limit", "buy", 0.001, 87999, {"clientOrderId": uid("after")})
    assert fresh["id"] not in ids.values()
    with pytest.raises(ccxt.DuplicateOrderId):
        a2.create_order(BTC, "limit", "buy", 0.001, 87998, {"clientOrderId": resting["clientOrderId"]})
    assert a2.cancel_order(resting["id"])["status"] == "canceled"
    assert a2.cancel_order(fresh["id"])["status"] == "canceled"
    assert a2.fetch_open_orders() == []


def test_every_acknowledged_order_survives_sigkill(
    durable_server: ServerProcess, recorder: HttpRecorder
) -> None:
    """Group commit must not acknowledge before the command is journaled: kill the
    process right after the last response of a concurrent burst."""
    srv = durable_server
    creds = srv.accounts[0]
    clients = [RawClient(srv.base, creds, recorder) for _ in range(8)]

    def burst(worker: int) -> list[str]:
        acked = []
        for i in range(10):
            body = urlencode(
                {
                    "orderType": "lmt",
                    "side": "buy",
                    "size": "0.001",
                    "symbol": "PF_XBTUSD",
                    "limitPrice": str(86000 + worker * 10 + i),
                    "cliOrdId": uid(f"burst{worker}"),
                }
            )
            resp = clients[worker].v3json("POST", "sendorder", body=body)
            assert resp["sendStatus"]["status"] == "placed", resp
            acked.append(resp["sendStatus"]["order_id"])
        return acked

    with ThreadPoolExecutor(max_workers=8) as pool:
        acked = {oid for ids in pool.map(burst, range(8)) for oid in ids}
    srv.stop(signal.SIGKILL)
    assert len(acked) == 80
    srv.start()
    after = RawClient(srv.base, creds, recorder).v3json("GET", "openorders")["openOrders"]
    assert {o["order_id"] for o in after} == acked
