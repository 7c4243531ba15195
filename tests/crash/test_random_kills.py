"""Acknowledged means durable, under random SIGKILLs: N kills at random moments, a restart after each.

Several clients place, cancel and edit orders over keep-alive HTTP (some rounds with the simulated
market running beside them; some kills land during start-up, while the journal is opened and
replayed) and record every answer. After each restart:
- every acknowledged order with no cancel sent is open, under its own account, at the acknowledged
  price (or at the price of an edit that was in flight when the server died);
- every acknowledged cancel is cancelled;
- nothing appears that was not acknowledged, except the one request each client had in flight;
- ids are never reused, and the book holds exactly the open orders.
N is ``KRAKENSIM_CRASH_KILLS`` (default 8, under a minute); ``KRAKENSIM_CRASH_SEED`` repeats a run.
Figures (kills, acknowledged commands, restart times) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from serverproc import ROOT, SignedClient, free_port, new_secret, serve_args, server_env, wait_ready

KILLS = int(os.environ.get("KRAKENSIM_CRASH_KILLS", "8"))
SEED = int(os.environ.get("KRAKENSIM_CRASH_SEED", str(random.SystemRandom().randrange(1 << 32))))
CLIENTS = 4
MAX_OPEN = 150  # per client: below the engine's 500 open orders per account
MARKET = ["--market", "--price", "XBT=90000"]  # the index stays put: resting buys far below never fill


@dataclass
class Ledger:
    """What one client was told (and what it had in flight when the server died)."""

    key: str
    secret: str
    price: dict[str, int] = field(default_factory=dict)  # acknowledged open orders: id -> limit price
    cancelled: set[str] = field(default_factory=set)  # acknowledged cancels
    in_flight: tuple[str, ...] | None = None  # ("place", cliOrdId, price) | ("cancel", id) | ("edit", id, price)
    acked: int = 0  # acknowledged commands


class Figures:
    def __init__(self) -> None:
        self.restarts: list[float] = []
        self.ids: set[str] = set()
        self.checked = 0


def work(base: str, led: Ledger, rnd: random.Random, stop: threading.Event, figs: Figures, tag: str) -> None:
    c = SignedClient(base, led.key, led.secret)
    n = 0
    while not stop.is_set():
        n += 1
        roll = rnd.random()
        try:
            if led.price and (roll < 0.25 or len(led.price) >= MAX_OPEN):
                oid = rnd.choice(sorted(led.price))
                led.in_flight = ("cancel", oid)
                r = c.call("POST", "cancelorder", {"order_id": oid})
                assert r["cancelStatus"]["status"] == "cancelled", r
                del led.price[oid]
                led.cancelled.add(oid)
            elif led.price and roll < 0.45:
                oid = rnd.choice(sorted(led.price))
                price = rnd.randrange(84000, 88000)
                led.in_flight = ("edit", oid, str(price))
                r = c.call("POST", "editorder", {"orderId": oid, "limitPrice": str(price)})
                assert r["editStatus"]["status"] == "edited", r
                led.price[oid] = price
            else:
                cli, price = f"{tag}-{n}", rnd.randrange(84000, 88000)
                led.in_flight = ("place", cli, str(price))
                r = c.call("POST", "sendorder", {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
                                                 "size": "0.001", "limitPrice": str(price), "cliOrdId": cli})
                assert r["sendStatus"]["status"] == "placed", r
                oid = r["sendStatus"]["order_id"]
                assert oid not in figs.ids, f"order id {oid} reused"
                figs.ids.add(oid)
                led.price[oid] = price
        except (requests.RequestException, ValueError):
            return  # the server died: in_flight stays as it was sent
        led.acked += 1
        led.in_flight = None


def check(base: str, ledgers: list[Ledger], figs: Figures) -> None:
    """Everything acknowledged is there; nothing else is, but what was in flight; then settle the in-flight."""
    seen: dict[str, str] = {}  # order id -> the key that lists it
    for led in ledgers:
        c = SignedClient(base, led.key, led.secret)
        open_orders = {o["order_id"]: o for o in c.call("GET", "openorders")["openOrders"]}
        for oid in open_orders:
            assert oid not in seen, f"order {oid} listed under two accounts"
            seen[oid] = led.key
        flight = led.in_flight or ("",)
        for oid, price in led.price.items():
            if flight[0] == "cancel" and flight[1] == oid and oid not in open_orders:
                continue  # the cancel in flight was made durable
            assert oid in open_orders, f"acknowledged order {oid} lost"
            got = open_orders[oid]["limitPrice"]
            allowed = {price} | ({int(flight[2])} if flight[0] == "edit" and flight[1] == oid else set())
            assert got in allowed, f"order {oid} at {got}, acknowledged at {price}"
            assert open_orders[oid]["unfilledSize"] == 0.001
            figs.checked += 1
        for oid in led.cancelled:
            assert oid not in open_orders, f"acknowledged cancel of {oid} lost"
            figs.checked += 1
        for oid, o in open_orders.items():
            if oid not in led.price:
                assert flight[0] == "place" and o.get("cliOrdId") == flight[1], f"unacknowledged order {oid} appeared"
                assert oid not in figs.ids, f"order id {oid} reused"
                figs.ids.add(oid)
        # the in-flight request is settled by what the restart shows
        if flight[0] == "place":
            for oid, o in open_orders.items():
                if o.get("cliOrdId") == flight[1]:
                    led.price[oid] = int(flight[2])
        elif flight[0] == "cancel" and flight[1] not in open_orders:
            led.price.pop(flight[1], None)
            led.cancelled.add(flight[1])
        elif flight[0] == "edit" and flight[1] in open_orders:
            led.price[flight[1]] = open_orders[flight[1]]["limitPrice"]
        led.in_flight = None
    book = requests.get(base + "/derivatives/api/v3/orderbook?symbol=PF_XBTUSD", timeout=5).json()["orderBook"]
    mine: dict[int, float] = {}
    for led in ledgers:
        for price in led.price.values():
            mine[price] = round(mine.get(price, 0) + 0.001, 4)
    bids = {p: round(q, 4) for p, q in book["bids"] if p < 89000}  # the market's maker quotes near 90000
    assert bids == mine, "the book does not hold exactly the open orders"


def launch(port: int, data: Path, ledgers: list[Ledger], market: bool, log: Any) -> subprocess.Popen[bytes]:
    keys = [(led.key, led.secret) for led in ledgers]
    extra = ["--data", str(data), *(MARKET if market else [])]
    return subprocess.Popen(serve_args(port, keys, *extra), cwd=ROOT, env=server_env(), stdout=subprocess.DEVNULL,
                            stderr=log)


def test_random_sigkills_lose_nothing_acknowledged(tmp_path: Path) -> None:
    rnd = random.Random(SEED)
    data = tmp_path / "journal.sqlite"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ledgers = [Ledger(f"kill-{i}", new_secret()) for i in range(CLIENTS)]
    figs = Figures()
    with open(tmp_path / "stderr.txt", "ab") as log:
        proc = launch(port, data, ledgers, False, log)
        assert wait_ready(proc, port)
        for kill in range(KILLS):
            stop = threading.Event()
            threads: list[threading.Thread] = []
            if rnd.random() < 0.2:  # during start-up: opening, checking, replaying the journal
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
                proc = launch(port, data, ledgers, rnd.random() < 0.4, log)
                time.sleep(rnd.uniform(0, 0.6))
            else:
                threads = [threading.Thread(target=work, args=(base, led, random.Random(rnd.random()), stop, figs,
                                                                f"k{kill}c{i}"))
                           for i, led in enumerate(ledgers)]
                for t in threads:
                    t.start()
                time.sleep(rnd.uniform(0.3, 2.0))
            os.kill(proc.pid, signal.SIGKILL)  # mid-stream: requests in flight
            proc.wait(10)
            stop.set()
            for t in threads:
                t.join(10)
            t0 = time.perf_counter()
            proc = launch(port, data, ledgers, rnd.random() < 0.4, log)
            assert wait_ready(proc, port), (tmp_path / "stderr.txt").read_text()[-3000:]
            figs.restarts.append(time.perf_counter() - t0)
            check(base, ledgers, figs)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in stderr, stderr[-3000:]
    acked = sum(led.acked for led in ledgers)
    assert acked > 30 * KILLS, "the load did not run"
    r = figs.restarts
    print(f"\nrandom SIGKILLs (seed {SEED}): {KILLS} kills survived, {acked} acknowledged commands, "
          f"{figs.checked} order/cancel checks after restarts, lost 0; restart to first answer: "
          f"min {min(r):.2f} s, median {statistics.median(r):.2f} s, max {max(r):.2f} s")
