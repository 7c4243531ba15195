"""Each account sees only itself: two accounts trade with each other (as maker and as taker, through
sendorder, editorder and batchorder, with client order ids), and no private answer either of them
gets, from any private endpoint, carries the other's account uid or any of its client order ids.

The counterparty's order is public (its uid, side, price and size are in the public market history),
its account and its client order id are not (docs/fidelity.md, "Privacy")."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from apihelpers import XBT_ID, Creds, RawClient, Venue

V3_READS = ("openorders", "fills", "accounts", "openpositions", "feeschedules/volumes", "self-trade-strategy",
            "notifications")
HISTORY_READS = ("orders", "triggers", "executions", "account-log", "positions")  # (accountlogcsv: account-log's rows)


class Party:
    """One account's raw client, its client order ids and every answer it received."""

    def __init__(self, venue: Venue, name: str) -> None:
        self.creds: Creds = venue.account()
        self.raw: RawClient = venue.raw(self.creds)
        self.name = name
        self.clis: list[str] = []
        self.answers: list[tuple[str, str]] = []  # (what was asked, the raw answer)

    def cli(self) -> str:
        c = f"secret-{self.name}-{uuid.uuid4().hex[:12]}"
        self.clis.append(c)
        return c

    def call(self, method: str, endpoint: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        encoded = urlencode(params or {}, doseq=True)
        query, body = (encoded, "") if method == "GET" else ("", encoded)
        r = self.raw.v3(method, endpoint, query, body)
        assert r.status_code == 200, r.text
        self.answers.append((f"{method} {endpoint} {encoded}", r.text))
        return r.json()

    def history(self, version: str, kind: str) -> dict[str, Any]:
        path = f"/api/history/{version}/{kind}"
        r = self.raw.request("GET", path, "count=1000&sort=asc")
        assert r.status_code == 200, r.text
        self.answers.append((f"GET {path}", r.text))
        return r.json()

    def send(self, **p: Any) -> dict[str, Any]:
        out = self.call("POST", "sendorder", {"symbol": XBT_ID, **p})
        assert out["result"] == "success", out
        return out["sendStatus"]

    def read_everything(self) -> None:
        for ep in V3_READS:
            self.call("GET", ep)
        self.call("GET", "orders/status")
        self.call("POST", "orders/status")
        for version in ("v2", "v3"):
            for kind in HISTORY_READS:
                self.history(version, kind)


def test_no_private_answer_names_the_counterparty(venue: Venue) -> None:
    a, b = Party(venue, "A"), Party(venue, "B")
    assert a.creds.account_uid and b.creds.account_uid and a.creds.account_uid != b.creds.account_uid

    # A makes, B takes part of it (B's IOC), then B makes and A takes
    a1 = a.send(orderType="lmt", side="sell", size="0.002", limitPrice="90000", cliOrdId=a.cli())
    assert a1["status"] == "placed"
    taken = b.send(orderType="ioc", side="buy", size="0.001", limitPrice="90000", cliOrdId=b.cli())
    assert [e["type"] for e in taken["orderEvents"]] == ["EXECUTION"]
    b2 = b.send(orderType="lmt", side="buy", size="0.001", limitPrice="89990", cliOrdId=b.cli())
    a.send(orderType="lmt", side="sell", size="0.001", limitPrice="89990", cliOrdId=a.cli())
    # A's rest moves by an edit (by its client id); B takes it through a batch
    edited = a.call("POST", "editorder", {"cliOrdId": a.clis[0], "limitPrice": "90010"})
    assert edited["editStatus"]["status"] == "edited", edited
    batch = {"batchOrder": [{"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": XBT_ID,
                             "side": "buy", "size": 0.001, "limitPrice": 90010, "cliOrdId": b.cli()}]}
    out = b.call("POST", "batchorder", {"json": json.dumps(batch)})
    assert out["batchStatus"][0]["status"] == "placed", out
    # B edits into A's resting order, which then trades as the maker
    a.send(orderType="lmt", side="sell", size="0.001", limitPrice="90020", cliOrdId=a.cli())
    b3 = b.send(orderType="lmt", side="buy", size="0.001", limitPrice="89000", cliOrdId=b.cli())
    out = b.call("POST", "editorder", {"orderId": b3["order_id"], "limitPrice": "90020"})
    assert out["editStatus"]["status"] == "edited", out
    # trigger orders, resting orders, cancels of every kind
    b.send(orderType="stp", side="sell", size="0.001", stopPrice="80000", cliOrdId=b.cli())
    a.send(orderType="take_profit", side="buy", size="0.001", stopPrice="80000", cliOrdId=a.cli())
    b_rest = b.send(orderType="lmt", side="buy", size="0.001", limitPrice="85000", cliOrdId=b.cli())
    a.send(orderType="lmt", side="buy", size="0.001", limitPrice="85000", cliOrdId=a.cli())
    assert a.call("POST", "cancelorder", {"cliOrdId": a.clis[-1]})["cancelStatus"]["status"] == "cancelled"
    # A names B's orders (their ids are public): they look like orders that never existed
    for oid in (b_rest["order_id"], b2["order_id"]):
        assert a.call("POST", "cancelorder", {"order_id": oid})["cancelStatus"]["status"] == "notFound"
        edit = a.call("POST", "editorder", {"orderId": oid, "size": "0.002"})
        assert edit["editStatus"]["status"] == "orderForEditNotFound"
    status = a.call("GET", "orders/status", {"orderIds": [b_rest["order_id"], b2["order_id"]]})
    assert status["orders"] == []
    for p in (a, b):
        p.read_everything()
    # both sides were maker and taker, and each saw its own account and ids where it should
    for p in (a, b):
        fills = json.loads(dict(p.answers)["GET fills "])["fills"]
        assert {f["fillType"] for f in fills} >= {"maker", "taker"}, fills
        executions = [json.loads(t) for q, t in p.answers if q == "GET /api/history/v3/executions"][0]
        assert len(executions["elements"]) == len(fills) == 4
        text = json.dumps(executions)
        assert p.creds.account_uid in text and any(c in text for c in p.clis)
    for me, other in ((a, b), (b, a)):
        secrets_of_other = [other.creds.account_uid, *other.clis]
        for asked, answer in me.answers:
            leaked = [s for s in secrets_of_other if s in answer]
            assert not leaked, f"{me.name} saw {leaked} of {other.name} in {asked}: {answer[:3000]}"
        cancel_all = me.call("POST", "cancelallorders")
        armed = me.call("POST", "cancelallordersafter", {"timeout": "60"})
        for answer in (cancel_all, armed):
            text = json.dumps(answer)
            assert not [s for s in secrets_of_other if s in text], text
