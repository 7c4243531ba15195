"""Acknowledged means durable: SIGKILL the server while clients place and cancel orders.

Several client threads place and cancel orders over keep-alive HTTP and record every
answer they received. The server is killed with SIGKILL mid-stream, restarted on the same
journal, and then:
- every acknowledged order with no cancel sent is open, with the acknowledged size/price;
- every acknowledged cancel is cancelled (the order is not open and cannot be cancelled);
- nothing half-exists: the book holds exactly the open orders the accounts list.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import requests

from serverproc import SignedClient, free_port, start_server

ROOT = Path(__file__).resolve().parents[2]


def start(data: Path, port: int, keys: list[tuple[str, str]]) -> subprocess.Popen[bytes]:
    return start_server(port, keys, "--data", str(data))


def worker(c: SignedClient, tag: str, stop: threading.Event, placed: dict, cancelled: dict, cancel_sent: set) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        price = str(85000 + (i * 37) % 4000)
        try:
            r = c.call("POST", "sendorder", {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
                                             "size": "0.001", "limitPrice": price, "cliOrdId": f"{tag}-{i}"})
        except (requests.RequestException, ValueError):
            return
        st = r["sendStatus"]
        assert st["status"] == "placed", r
        placed[st["order_id"]] = price
        if i % 2 == 0:
            cancel_sent.add(st["order_id"])
            try:
                r = c.call("POST", "cancelorder", {"order_id": st["order_id"]})
            except (requests.RequestException, ValueError):
                return
            assert r["cancelStatus"]["status"] == "cancelled", r
            cancelled[st["order_id"]] = c.key


def run_and_kill(base: str, proc: subprocess.Popen[bytes], keys: list[tuple[str, str]], rnd: int,
                 placed: dict[str, str], cancelled: dict[str, str], cancel_sent: set[str]) -> None:
    stop = threading.Event()
    threads = [
        threading.Thread(target=worker, args=(SignedClient(base, k, s), f"r{rnd}w{n}", stop, placed, cancelled, cancel_sent))
        for n, (k, s) in enumerate(keys)
    ]
    try:
        for t in threads:
            t.start()
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream, requests in flight
        proc.wait(10)
    finally:
        stop.set()
        for t in threads:
            t.join(10)


def verify(base: str, keys: list[tuple[str, str]], placed: dict[str, str], cancelled: dict[str, str],
           cancel_sent: set[str]) -> None:
    open_ids: dict[str, dict] = {}
    for k, s in keys:
        c = SignedClient(base, k, s)
        for o in c.call("GET", "openorders")["openOrders"]:
            open_ids[o["order_id"]] = o
    for oid, price in placed.items():
        if oid not in cancel_sent:
            assert oid in open_ids, f"acknowledged order {oid} lost"
            assert open_ids[oid]["limitPrice"] == int(price) and open_ids[oid]["unfilledSize"] == 0.001
    for oid in cancelled:
        assert oid not in open_ids, f"acknowledged cancel of {oid} lost"
    # the book holds exactly the open orders, nothing half-applied
    book = requests.get(base + "/derivatives/api/v3/orderbook?symbol=PF_XBTUSD", timeout=5).json()
    depth = {p: q for p, q in book["orderBook"]["bids"]}
    want: dict[int, float] = {}
    for o in open_ids.values():
        want[o["limitPrice"]] = round(want.get(o["limitPrice"], 0) + o["unfilledSize"], 4)
    assert {p: round(q, 4) for p, q in depth.items()} == want
    # and cancelling an acknowledged cancel again finds nothing
    secrets = dict(keys)
    for oid, k in list(cancelled.items())[-10:]:
        c = SignedClient(base, k, secrets[k])
        assert c.call("POST", "cancelorder", {"order_id": oid})["cancelStatus"]["status"] == "notFound"


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "journal.sqlite"
    keys = [(f"crash-{i}", base64.b64encode(os.urandom(64)).decode()) for i in range(4)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    placed: dict[str, str] = {}
    cancelled: dict[str, str] = {}
    cancel_sent: set[str] = set()
    for rnd in range(3):
        proc = start(data, port, keys)
        run_and_kill(base, proc, keys, rnd, placed, cancelled, cancel_sent)
        assert len(placed) > 50 * (rnd + 1), "the workload did not run"
        proc = start(data, port, keys)
        try:
            verify(base, keys, placed, cancelled, cancel_sent)
        finally:
            proc.terminate()
            proc.wait(10)
