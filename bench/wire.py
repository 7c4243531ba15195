#!/usr/bin/env python3
"""Wire benchmark for krakensim (Kraken Futures REST v3 simulator).

Measures, over loopback with C concurrent keep-alive HTTP/1.1 connections:

  (a) signed ``sendorder`` + ``cancelorder`` round trips per second against krakensim,
      journal on (``--data FILE``, the default durable mode) and ``--memory``;
  (b) signed ``cancelorder`` of an unknown order_id against krakensim and against
      Stoplight Prism mocking Kraken's cancelorder page (OpenAPI fragment extracted
      from the spec at bench time);
  (c) the same unknown-order cancel against a trivial canned-response server, which
      shows the load generator's own ceiling on this machine;
  (d) a mixed workload against krakensim (journal on and ``--memory``): per request, drawn
      with a seeded RNG, 50 % resting limit adds, 30 % cancels of the connection's own
      resting orders and triggers, 15 % aggressive ``ioc``/``mkt`` orders that trade against
      other accounts' resting orders, 5 % ``stp``/``take_profit`` trigger orders;
  (e) the simulated market's own load: part (a)'s round trips (C=32, journal on) against a plain
      server and against ``--market`` (and ``--market --speed 10``), runs interleaved, and the
      ratio market on / off (round trips/s, p50, p99) against the 10 % tolerance.

The load generator runs in separate worker process(es) (raw asyncio streams, pre-built
requests, responses read by Content-Length). Every response is parsed and checked.

Run ``python bench/wire.py --help`` for options; ``--quick`` is the short smoke run.
Only 127.0.0.1 is ever contacted; every load loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
HOST = "127.0.0.1"
KS_PREFIX = "/derivatives/api/v3"

# --------------------------------------------------------------------------------------
# Signing (clients.md §1.1/§1.2, ccxt style: params in the query string of a POST with
# an empty body and no Nonce header).
# --------------------------------------------------------------------------------------


def authent(secret_raw: bytes, post_data: str, path: str, nonce: str = "") -> str:
    endpoint = path.removeprefix("/derivatives")
    digest = hashlib.sha256((post_data + nonce + endpoint).encode()).digest()
    return base64.b64encode(hmac.digest(secret_raw, digest, "sha512")).decode()


def build_post(host_hdr: str, path: str, query: str, sign_path: str, key: str, secret_raw: bytes) -> bytes:
    """A complete ccxt-style signed POST (query string, empty body, no Nonce)."""
    sig = authent(secret_raw, query, sign_path)
    return (
        f"POST {path}?{query} HTTP/1.1\r\n"
        f"Host: {host_hdr}\r\n"
        f"APIKey: {key}\r\n"
        f"Authent: {sig}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Accept: application/json\r\n"
        "Content-Length: 0\r\n"
        "\r\n"
    ).encode()


def selftest_signing() -> None:
    """Worked example from clients.md §1.4 (ccxt sendorder)."""
    secret = base64.b64decode(base64.b64encode(bytes(range(64))))
    got = authent(
        secret,
        "symbol=PF_XBTUSD&side=buy&size=0.001&orderType=lmt&limitPrice=9400",
        "/derivatives/api/v3/sendorder",
    )
    want = "Q3xV1dJ8l/zm1CBEhRp5tibZUuy1lfF4sVZKUSHM/8pEqQvi/e4rr2v2FyWBxrnQ9c4RRKeMNRgLCFgeQNYHVQ=="
    if got != want:
        raise SystemExit(f"signing self-test failed: {got} != {want}")


# --------------------------------------------------------------------------------------
# Load generator worker (runs in its own process: `wire.py --worker`)
# --------------------------------------------------------------------------------------


class ConnClosed(Exception):
    pass


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # final CRLF (no trailers expected)
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    low = head.lower()
    i = low.find(b"\r\ncontent-length:")
    if i >= 0:
        j = low.find(b"\r\n", i + 17)
        body = await reader.readexactly(int(head[i + 17 : j]))
    elif b"\r\ntransfer-encoding: chunked" in low:
        body = await _read_chunked(reader)
    else:
        body = await reader.read()
        return status, body, True
    return status, body, b"\r\nconnection: close" in low


class Conn:
    __slots__ = ("port", "reader", "writer", "opens")

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opens = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opens += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.writer is not None and self.reader is not None
        self.writer.write(data)
        status, body, close = await read_response(self.reader)
        if close:
            self.close()
        return status, body


@dataclass
class Stats:
    lat: dict[str, list[int]] = field(default_factory=dict)  # µs, completions inside the window
    ok: dict[str, int] = field(default_factory=dict)  # good completions inside the window
    errors: dict[str, int] = field(default_factory=dict)  # whole run (warm-up, window, drain)
    samples: list[str] = field(default_factory=list)
    roundtrips: int = 0
    leaked_orders: int = 0
    extra: dict[str, int] = field(default_factory=dict)  # mixed workload counters, inside the window

    def count(self, name: str, n: int = 1) -> None:
        self.extra[name] = self.extra.get(name, 0) + n

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 8:
            self.samples.append(f"{kind}: {detail[:300]}")


def _check(status: int, body: bytes, block: str, want: tuple[str, ...]) -> tuple[str | None, dict | None]:
    """Return (error kind or None, parsed block)."""
    if status != 200:
        return f"http_{status}", None
    try:
        doc = json.loads(body)
    except ValueError:
        return "bad_json", None
    st = doc.get(block) if isinstance(doc, dict) else None
    if not isinstance(st, dict):
        return f"no_{block}", None
    if st.get("status") not in want:
        return f"{block}.status={st.get('status')}", None
    return None, st


MIXED_KINDS = ("add", "cancel", "aggressive", "trigger")
MIXED_MIX = (0.50, 0.80, 0.95)  # cumulative shares: add 50 %, cancel 30 %, aggressive 15 %, trigger 5 %
MIXED_CAP = 490  # orders+triggers a connection keeps per maker account (the server allows 500)
MIXED_RPS_BUDGET = 20_000  # req/s the maker accounts are sized for (see mixed_accounts)


def _lots(n: int) -> str:
    """A PF_XBTUSD size from a count of 0.0001 lots."""
    return f"{n / 10000:.4f}".rstrip("0").rstrip(".")


class MixedConn:
    """One connection's accounts and state in the mixed workload."""

    __slots__ = ("makers", "taker", "resting", "held", "cur", "pos", "flip", "rng")

    def __init__(self, acc: dict, seed: int) -> None:
        self.makers = [(k, base64.b64decode(s)) for k, s in acc["makers"]]
        self.taker = (acc["taker"][0], base64.b64decode(acc["taker"][1]))
        self.resting: list[tuple[int, str]] = []  # (maker index, order_id) of orders and triggers placed
        self.held = [0] * len(self.makers)  # per maker: placed and not known to be gone (>= open count)
        self.cur = 0
        self.pos = 0  # taker position in 0.0001 lots, from EXECUTION events
        self.flip = False
        self.rng = random.Random(seed)

    def maker_with_room(self) -> int | None:
        for _ in range(len(self.makers)):
            if self.held[self.cur] < MIXED_CAP:
                return self.cur
            self.cur = (self.cur + 1) % len(self.makers)
        return None


class Worker:
    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.port = cfg["port"]
        self.prefix = cfg["prefix"]
        self.key = cfg["key"]
        self.secret = base64.b64decode(cfg["secret"])
        self.host_hdr = f"{HOST}:{self.port}"
        self.stats = Stats(lat={"sendorder": [], "cancelorder": []}, ok={"sendorder": 0, "cancelorder": 0})
        self.t_meas = self.t_end = 0.0
        self.cpu: list[float] = []
        rng = random.Random(cfg["seed"])
        self.cancel_path = self.prefix + "/cancelorder"
        self.cancel_sign_path = KS_PREFIX + "/cancelorder"
        if cfg["mode"] == "mixed":
            self.stats = Stats(lat={k: [] for k in MIXED_KINDS}, ok=dict.fromkeys(MIXED_KINDS, 0))
            self.mark = cfg["mark"]
            self.mixed = [MixedConn(a, cfg["seed"] * 1000 + i) for i, a in enumerate(cfg["accounts"])]
            self.pool = []
        elif cfg["mode"] == "roundtrip":
            mark = cfg["mark"]
            self.pool = [self._sendorder(rng, mark) for _ in range(1024)]
            self.expect_cancel: tuple[str, ...] = ("cancelled",)
        else:
            self.pool = [
                self._cancel(str(uuid.UUID(int=rng.getrandbits(128), version=4))) for _ in range(1024)
            ]
            self.expect_cancel = tuple(cfg["expect"])

    def _sendorder(self, rng: random.Random, mark: float) -> bytes:
        side = rng.choice(("buy", "sell"))
        factor = rng.uniform(0.955, 0.985) if side == "buy" else rng.uniform(1.015, 1.045)
        price = int(mark * factor)
        size = f"{rng.randint(1, 100) / 10000:.4f}".rstrip("0").rstrip(".")
        params = {
            "symbol": "PF_XBTUSD",
            "side": side,
            "size": size,
            "orderType": "lmt",
            "limitPrice": str(price),
        }
        query = urlencode(params, quote_via=quote)
        return build_post(
            self.host_hdr, self.prefix + "/sendorder", query, KS_PREFIX + "/sendorder", self.key, self.secret
        )

    def _cancel(self, order_id: str) -> bytes:
        query = "order_id=" + quote(order_id, safe="")
        return build_post(
            self.host_hdr, self.cancel_path, query, self.cancel_sign_path, self.key, self.secret
        )

    def _conn_error(self, conn: Conn, exc: BaseException) -> None:
        self.stats.error(f"conn:{type(exc).__name__}", repr(exc))
        conn.close()

    async def roundtrip_loop(self, conn: Conn, idx: int) -> None:
        st = self.stats
        lat_s, lat_c = st.lat["sendorder"], st.lat["cancelorder"]
        pool, n = self.pool, len(self.pool)
        i = idx * 37
        clock = time.monotonic
        while clock() < self.t_end:
            req = pool[i % n]
            i += 1
            try:
                t0 = clock()
                status, body = await conn.request(req)
                t1 = clock()
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
                self._conn_error(conn, exc)
                await asyncio.sleep(0.05)
                continue
            kind, ss = _check(status, body, "sendStatus", ("placed",))
            oid = ss.get("order_id") if ss else None
            if kind is None and not isinstance(oid, str):
                kind = "sendStatus.order_id_missing"
            if kind is not None:
                st.error("sendorder:" + kind, body.decode("utf-8", "replace"))
                continue
            assert ss is not None and isinstance(oid, str)
            evs = ss.get("orderEvents")
            if not (isinstance(evs, list) and len(evs) == 1 and evs[0].get("type") == "PLACE"):
                # it traded on arrival (crossed someone's order): an error, not a round trip;
                # cancel what may still rest, whatever the answer, so the book stays clean
                st.error("sendorder:not_resting", body.decode("utf-8", "replace"))
                try:
                    await conn.request(self._cancel(oid))
                except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
                    self._conn_error(conn, exc)
                    st.leaked_orders += 1
                continue
            inwin = self.t_meas <= t1 < self.t_end
            if inwin:
                lat_s.append(int((t1 - t0) * 1e6))
                st.ok["sendorder"] += 1
            creq = self._cancel(oid)
            try:
                t2 = clock()
                status, body = await conn.request(creq)
                t3 = clock()
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
                self._conn_error(conn, exc)
                st.leaked_orders += 1
                await asyncio.sleep(0.05)
                continue
            kind, _ = _check(status, body, "cancelStatus", self.expect_cancel)
            if kind is not None:
                st.error("cancelorder:" + kind, body.decode("utf-8", "replace"))
                st.leaked_orders += 1
                continue
            if self.t_meas <= t3 < self.t_end:
                lat_c.append(int((t3 - t2) * 1e6))
                st.ok["cancelorder"] += 1
                st.roundtrips += 1

    async def cancel_loop(self, conn: Conn, idx: int) -> None:
        st = self.stats
        lat = st.lat["cancelorder"]
        pool, n = self.pool, len(self.pool)
        want = self.expect_cancel
        i = idx * 37
        clock = time.monotonic
        while clock() < self.t_end:
            req = pool[i % n]
            i += 1
            try:
                t0 = clock()
                status, body = await conn.request(req)
                t1 = clock()
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
                self._conn_error(conn, exc)
                await asyncio.sleep(0.05)
                continue
            kind, _ = _check(status, body, "cancelStatus", want)
            if kind is not None:
                st.error("cancelorder:" + kind, body.decode("utf-8", "replace"))
                continue
            if self.t_meas <= t1 < self.t_end:
                lat.append(int((t1 - t0) * 1e6))
                st.ok["cancelorder"] += 1

    # ---------------------------------------------------------------- (d) mixed workload
    def _post(self, name: str, query: str, acct: tuple[str, bytes]) -> bytes:
        return build_post(self.host_hdr, self.prefix + "/" + name, query, KS_PREFIX + "/" + name, *acct)

    async def _mx_request(self, conn: Conn, req: bytes) -> tuple[int, bytes, float, float] | None:
        clock = time.monotonic
        try:
            t0 = clock()
            status, body = await conn.request(req)
            t1 = clock()
        except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
            self._conn_error(conn, exc)
            await asyncio.sleep(0.05)
            return None
        return status, body, t0, t1

    def _mx_good(self, kind: str, t0: float, t1: float) -> bool:
        """Record a good answer of ``kind``; True if it completed inside the window."""
        if self.t_meas <= t1 < self.t_end:
            self.stats.lat[kind].append(int((t1 - t0) * 1e6))
            self.stats.ok[kind] += 1
            return True
        return False

    def _mx_bad(self, kind: str, err: str, body: bytes) -> None:
        self.stats.error(f"{kind}:{err}", body.decode("utf-8", "replace"))

    async def _mx_add(self, conn: Conn, mc: MixedConn) -> None:
        """A resting limit order 0.1-5 % away from the reference mark, on the right side of it."""
        k = mc.maker_with_room()
        if k is None:
            self.stats.error(
                "add:no_capacity", f"all {len(mc.makers)} maker accounts hold {MIXED_CAP} orders"
            )
            await asyncio.sleep(0.001)
            return
        rng = mc.rng
        side = "buy" if rng.random() < 0.5 else "sell"
        away = rng.uniform(0.001, 0.05)
        price = int(self.mark * (1 - away)) if side == "buy" else int(self.mark * (1 + away)) + 1
        query = (
            f"orderType=lmt&symbol=PF_XBTUSD&side={side}&size={_lots(rng.randint(10, 100))}"
            f"&limitPrice={price}"
        )
        got = await self._mx_request(conn, self._post("sendorder", query, mc.makers[k]))
        if got is None:
            mc.held[k] += 1  # it may rest: keep counting it against the account's limit
            return
        status, body, t0, t1 = got
        err, ss = _check(status, body, "sendStatus", ("placed",))
        oid = ss.get("order_id") if ss else None
        if err is None and not isinstance(oid, str):
            err = "sendStatus.order_id_missing"
        if err is None:
            evs = ss.get("orderEvents") if ss else None
            if not (isinstance(evs, list) and len(evs) == 1 and evs[0].get("type") == "PLACE"):
                err = "not_resting"
        if err is not None:
            self._mx_bad("add", err, body)
            return
        assert isinstance(oid, str)
        mc.resting.append((k, oid))
        mc.held[k] += 1
        self._mx_good("add", t0, t1)

    async def _mx_cancel(self, conn: Conn, mc: MixedConn) -> None:
        """Cancel one of the connection's resting orders or triggers, drawn at random."""
        if not mc.resting:
            await self._mx_add(conn, mc)  # nothing to cancel yet: place one first
            if not mc.resting:
                return
        res = mc.resting
        j = mc.rng.randrange(len(res))
        res[j], res[-1] = res[-1], res[j]
        k, oid = res.pop()
        got = await self._mx_request(conn, self._post("cancelorder", "order_id=" + oid, mc.makers[k]))
        if got is None:
            return  # state unknown: it stays counted against the account's limit
        status, body, t0, t1 = got
        err, cs = _check(status, body, "cancelStatus", ("cancelled", "filled"))
        if err is not None:
            self._mx_bad("cancel", err, body)
            return
        mc.held[k] -= 1
        if self._mx_good("cancel", t0, t1) and cs and cs.get("status") == "filled":
            self.stats.count("cancel_filled")

    async def _mx_aggressive(self, conn: Conn, mc: MixedConn) -> None:
        """A small ioc or market order from the connection's taker account (which never rests
        orders, so it cannot meet itself); its side works the taker's position back to flat."""
        rng = mc.rng
        if mc.pos > 0:
            side = "sell"
        elif mc.pos < 0:
            side = "buy"
        else:
            mc.flip = not mc.flip
            side = "buy" if mc.flip else "sell"
        size = _lots(rng.randint(10, 30))
        if rng.random() < 0.5:
            price = int(self.mark * 1.02) if side == "buy" else int(self.mark * 0.98) + 1
            query = f"orderType=ioc&symbol=PF_XBTUSD&side={side}&size={size}&limitPrice={price}"
        else:
            query = f"orderType=mkt&symbol=PF_XBTUSD&side={side}&size={size}"
        got = await self._mx_request(conn, self._post("sendorder", query, mc.taker))
        if got is None:
            return
        status, body, t0, t1 = got
        err, ss = _check(status, body, "sendStatus", ("placed", "iocWouldNotExecute"))
        if err is not None or ss is None:
            self._mx_bad("aggressive", err or "?", body)
            return
        n = 0
        if ss.get("status") == "placed":
            evs = ss.get("orderEvents")
            sign = 1 if side == "buy" else -1
            for ev in evs if isinstance(evs, list) else ():
                if isinstance(ev, dict) and ev.get("type") == "EXECUTION":
                    n += 1
                    mc.pos += sign * round(float(ev.get("amount", 0)) * 10000)
            if n == 0:
                self._mx_bad("aggressive", "placed_without_execution", body)
                return
        if self._mx_good("aggressive", t0, t1):
            if n:
                self.stats.count("aggressive_executed")
                self.stats.count("executions", n)
            else:
                self.stats.count("ioc_would_not_execute")

    async def _mx_trigger(self, conn: Conn, mc: MixedConn) -> None:
        """A stop or take-profit on the mark, 10-15 % away from it: it rests off the book."""
        k = mc.maker_with_room()
        if k is None:
            self.stats.error("trigger:no_capacity", f"all {len(mc.makers)} maker accounts are full")
            await asyncio.sleep(0.001)
            return
        rng = mc.rng
        otype = "stp" if rng.random() < 0.5 else "take_profit"
        side = "buy" if rng.random() < 0.5 else "sell"
        below = int(self.mark * rng.uniform(0.85, 0.90))
        above = int(self.mark * rng.uniform(1.10, 1.15))
        stop = (above if side == "buy" else below) if otype == "stp" else (below if side == "buy" else above)
        query = (
            f"orderType={otype}&symbol=PF_XBTUSD&side={side}&size={_lots(rng.randint(10, 100))}"
            f"&stopPrice={stop}&triggerSignal=mark"
        )
        got = await self._mx_request(conn, self._post("sendorder", query, mc.makers[k]))
        if got is None:
            mc.held[k] += 1
            return
        status, body, t0, t1 = got
        err, ss = _check(status, body, "sendStatus", ("placed",))
        oid = ss.get("order_id") if ss else None
        if err is None and not isinstance(oid, str):
            err = "sendStatus.order_id_missing"
        if err is None:
            evs = ss.get("orderEvents") if ss else None
            if not (
                isinstance(evs, list)
                and any(e.get("type") == "PLACE" and isinstance(e.get("orderTrigger"), dict) for e in evs)
            ):
                err = "no_PLACE_orderTrigger"
        if err is not None:
            self._mx_bad("trigger", err, body)
            return
        assert isinstance(oid, str)
        mc.resting.append((k, oid))
        mc.held[k] += 1
        self._mx_good("trigger", t0, t1)

    async def mixed_loop(self, conn: Conn, idx: int) -> None:
        mc = self.mixed[idx]
        rng = mc.rng
        clock = time.monotonic
        while clock() < self.t_end:
            r = rng.random()
            if r < MIXED_MIX[0]:
                await self._mx_add(conn, mc)
            elif r < MIXED_MIX[1]:
                await self._mx_cancel(conn, mc)
            elif r < MIXED_MIX[2]:
                await self._mx_aggressive(conn, mc)
            else:
                await self._mx_trigger(conn, mc)

    def _cpu_mark(self) -> None:
        t = os.times()
        self.cpu.append(t.user + t.system)

    async def run(self) -> dict:
        conns = [Conn(self.port) for _ in range(self.cfg["conns"])]
        for c in conns:
            await c.open()
        # Handshake with the orchestrator: ready -> "go <monotonic start time>".
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        line = await loop.run_in_executor(None, sys.stdin.readline)
        t_start = float(line.split()[1])
        self.t_meas = t_start + self.cfg["warmup"]
        self.t_end = self.t_meas + self.cfg["duration"]
        await asyncio.sleep(max(0.0, t_start - time.monotonic()))
        loop.call_at(self.t_meas, self._cpu_mark)
        loop.call_at(self.t_end, self._cpu_mark)
        body = {"roundtrip": self.roundtrip_loop, "mixed": self.mixed_loop}.get(
            self.cfg["mode"], self.cancel_loop
        )
        tasks = [asyncio.create_task(body(c, i)) for i, c in enumerate(conns)]
        _, pending = await asyncio.wait(tasks, timeout=self.t_end - time.monotonic() + 10.0)
        for t in pending:
            t.cancel()
            self.stats.error("stuck_connection", "request still pending 10 s after the window closed")
        for t in tasks:
            if t.done() and not t.cancelled() and t.exception() is not None:
                self.stats.error("worker_exception", repr(t.exception()))
        for c in conns:
            c.close()
        st = self.stats
        return {
            "lat": st.lat,
            "ok": st.ok,
            "roundtrips": st.roundtrips,
            "errors": st.errors,
            "samples": st.samples,
            "leaked_orders": st.leaked_orders,
            "extra": st.extra,
            "reconnects": sum(c.opens for c in conns) - len(conns),
            "cpu": (self.cpu[1] - self.cpu[0]) if len(self.cpu) == 2 else None,
        }


def worker_main() -> None:
    cfg = json.loads(sys.stdin.readline())
    try:
        import uvloop  # type: ignore[import-not-found]

        if cfg.get("uvloop"):
            uvloop.install()
    except ImportError:
        pass
    res = asyncio.run(Worker(cfg).run())
    sys.stdout.write("result " + json.dumps(res) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------
# Null server: canned notFound answer, to measure the load generator's own ceiling.
# --------------------------------------------------------------------------------------

NULL_BODY = (
    b'{"result":"success","cancelStatus":{"status":"notFound","receivedTime":"2024-01-01T00:00:00.000Z"},'
    b'"serverTime":"2024-01-01T00:00:00.000Z"}'
)
NULL_RESP = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(NULL_BODY)).encode()
    + b"\r\n\r\n"
    + NULL_BODY
)


class _NullProto(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        n = self.buf.count(b"\r\n\r\n")  # requests have Content-Length: 0
        if n:
            self.buf = self.buf[self.buf.rfind(b"\r\n\r\n") + 4 :]
            self.t.write(NULL_RESP * n)  # type: ignore[attr-defined]


def null_server_main(port: int) -> None:
    async def main() -> None:
        srv = await asyncio.get_running_loop().create_server(_NullProto, HOST, port)
        print(f"null server on http://{HOST}:{port}", flush=True)
        async with srv:
            await asyncio.sleep(3600)  # bounded; the orchestrator stops it long before

    asyncio.run(main())


# --------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def _proc_tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy() -> float | None:
    """Busy CPU seconds of the whole machine so far (all cores; /proc/stat), None elsewhere."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    return (sum(v[:8]) - v[3] - v[4]) / _CLK_TCK


def wait_idle(budget: list[float], threshold: float = 0.15, probe: float = 0.3) -> float | None:
    """Wait (out of the shared budget, in seconds) until the machine is nearly idle; return its load."""
    load = None
    while True:
        t0, b0 = time.monotonic(), machine_busy()
        time.sleep(probe)
        b1 = machine_busy()
        if b0 is None or b1 is None:
            return None
        load = (b1 - b0) / (time.monotonic() - t0)
        if load < threshold or budget[0] <= 0:
            return load
        budget[0] -= probe + 0.5
        time.sleep(0.5)


def tree_cpu(pid: int) -> float | None:
    """user+system CPU seconds of a process tree (Linux /proc), None elsewhere."""
    total = 0
    try:
        for p in _proc_tree(pid):
            try:
                with open(f"/proc/{p}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
    except OSError:
        return None
    return total / _CLK_TCK


class Service:
    """A server subprocess in its own process group, logging to a temp file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        port: int,
        ready_text: str | None,
        cwd: Path,
        env: dict | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.name, self.argv, self.port = name, argv, port
        self.ready_text, self.cwd, self.env, self.timeout = ready_text, cwd, env, timeout
        self.log = tempfile.NamedTemporaryFile(prefix=f"wire-{name}-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None
        self.startup_s = 0.0

    def log_text(self) -> str:
        try:
            return Path(self.log.name).read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Service:
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = t0 + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}"
                )
            if (self.ready_text is None or self.ready_text in self.log_text()) and port_open(self.port):
                self.startup_s = time.monotonic() - t0
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {self.timeout}s:\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(p.pid, sig)  # our own process group (start_new_session=True)
            except ProcessLookupError:
                return
            try:
                p.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __exit__(self, *exc: object) -> None:
        self.stop()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def pct(sorted_us: list[int], q: float) -> float | None:
    if not sorted_us:
        return None
    k = min(len(sorted_us) - 1, max(0, int(round(q * len(sorted_us) + 0.5)) - 1))
    return sorted_us[k] / 1000.0  # ms


@dataclass
class Point:
    section: str  # "a" | "b" | "c" | "d" | "e"
    target: str  # "krakensim --data", "krakensim --memory", "prism", "null"; (e): + " --market ..."
    conns: int
    duration: float
    ok: dict[str, int]
    roundtrips: int
    lat_ms: dict[str, tuple[float | None, float | None]]
    errors: dict[str, int]
    samples: list[str]
    reconnects: int
    leaked: int
    server_cpu: float | None
    gen_cpu: float | None
    other_cpu: float | None = None  # machine busy time not spent by the server or the load generator
    extra: dict[str, int] = field(default_factory=dict)  # (d): executions, ioc_would_not_execute, ...
    accounts: int = 0  # (d): funded accounts the point's connections used
    setting: str = ""  # (e): "off" or the market's server flags, e.g. "--market --speed 10"
    rep: int = 0  # (e): repetition (0-based) of the interleaved series
    market: dict[str, float] = field(default_factory=dict)  # (e): market pace (see market_pace)

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())

    def rps(self, kind: str) -> float:
        return self.ok.get(kind, 0) / self.duration


def run_point(
    args: argparse.Namespace,
    section: str,
    target: str,
    mode: str,
    port: int,
    server_pid: int | None,
    conns: int,
    prefix: str,
    expect: tuple[str, ...],
    mark: float = 90000.0,
    accounts: list[dict] | None = None,
) -> Point:
    if args.idle_wait > 0:
        wait_idle(args.idle_budget)
    procs = max(1, min(args.procs, conns))
    split = [conns // procs + (1 if i < conns % procs else 0) for i in range(procs)]
    workers = []
    for i, c in enumerate(split):
        first = sum(split[:i])
        cfg = {
            "port": port,
            "prefix": prefix,
            "key": args.api_key,
            "secret": args.api_secret,
            "mode": mode,
            "conns": c,
            "warmup": args.warmup,
            "duration": args.duration,
            "mark": mark,
            "expect": list(expect),
            "seed": 1000 * conns + i,
            "uvloop": args.uvloop,
            "accounts": accounts[first : first + c] if accounts else [],
        }
        p = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(json.dumps(cfg) + "\n")
        p.stdin.flush()
        workers.append(p)
    try:
        for p in workers:
            assert p.stdout is not None
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"load worker failed to start (said {line!r})")
        t_start = time.monotonic() + 0.1
        for p in workers:
            assert p.stdin is not None
            p.stdin.write(f"go {t_start!r}\n")
            p.stdin.flush()
        t_meas = t_start + args.warmup
        t_end = t_meas + args.duration
        time.sleep(max(0.0, t_meas - time.monotonic()))
        c0 = tree_cpu(server_pid) if server_pid else None
        m0 = machine_busy()
        time.sleep(max(0.0, t_end - time.monotonic()))
        c1 = tree_cpu(server_pid) if server_pid else None
        m1 = machine_busy()
        results = []
        for p in workers:
            assert p.stdout is not None
            out = p.stdout.readline()  # worker finishes within ~10 s of t_end or reports stuck
            if not out.startswith("result "):
                raise RuntimeError(f"load worker produced no result (said {out[:200]!r})")
            results.append(json.loads(out[7:]))
            p.wait(15)
    finally:
        for p in workers:
            if p.poll() is None:
                p.kill()
                p.wait()
    lat: dict[str, list[int]] = {} if mode == "mixed" else {"sendorder": [], "cancelorder": []}
    ok: dict[str, int] = {}
    extra: dict[str, int] = {}
    errors: dict[str, int] = {}
    samples: list[str] = []
    for r in results:
        for k, v in r["lat"].items():
            lat.setdefault(k, []).extend(v)
        for k, v in r.get("extra", {}).items():
            extra[k] = extra.get(k, 0) + v
        for k, v in r["ok"].items():
            ok[k] = ok.get(k, 0) + v
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
        samples.extend(r["samples"])
    if mode == "roundtrip":  # both request kinds together: the round trip's per-request figures
        lat["request"] = lat["sendorder"] + lat["cancelorder"]
    lat_ms = {}
    for k, v in lat.items():
        v.sort()
        lat_ms[k] = (pct(v, 0.50), pct(v, 0.99))
    gen_cpus = [r["cpu"] for r in results]
    server_cpu = (c1 - c0) / args.duration if c0 is not None and c1 is not None else None
    gen_cpu = sum(gen_cpus) / args.duration if all(c is not None for c in gen_cpus) else None
    other_cpu = None
    if m0 is not None and m1 is not None and server_cpu is not None and gen_cpu is not None:
        other_cpu = max(0.0, (m1 - m0) / args.duration - server_cpu - gen_cpu)
    return Point(
        section=section,
        target=target,
        conns=conns,
        duration=args.duration,
        ok=ok,
        roundtrips=sum(r["roundtrips"] for r in results),
        lat_ms=lat_ms,
        errors=errors,
        samples=samples[:8],
        reconnects=sum(r["reconnects"] for r in results),
        leaked=sum(r["leaked_orders"] for r in results),
        server_cpu=server_cpu,
        gen_cpu=gen_cpu,
        other_cpu=other_cpu,
        extra=extra,
        accounts=sum(len(a["makers"]) + 1 for a in accounts or []),
    )


def fmt_ms(v: float | None) -> str:
    return "-" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def fmt_cpu(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.0f}%"


OTHER_WARN = 0.15  # share of a core busy elsewhere on the machine that makes a point suspect


def cpu_cells(p: Point) -> str:
    return f"{fmt_cpu(p.server_cpu)} | {fmt_cpu(p.gen_cpu)} | {fmt_cpu(p.other_cpu)}"


def fmt_errors(p: Point) -> str:
    if not p.errors:
        return "0"
    return str(p.n_errors) + " (" + ", ".join(f"{k}×{v}" for k, v in sorted(p.errors.items())) + ")"


def mix_share(p: Point) -> str:
    total = sum(p.ok.get(k, 0) for k in MIXED_KINDS)
    if not total:
        return "-"
    return "/".join(f"{100 * p.ok.get(k, 0) / total:.0f}" for k in MIXED_KINDS)


MARKET_INTERVAL_MS = 1000  # the market's default step, in exchange time (krakensim serve --market)
MARKET_TOLERANCE = 0.10  # (e): the market may cost the round trips at most this share


def market_pace(journal: Path, speed: float) -> dict[str, float]:
    """How the simulated market kept pace while the load ran, read from the server's journal.

    The span is that of the load's own ``place``/``cancel`` commands (warm-up included), in
    exchange time; a market step is a price command (``index``, or ``prices`` in older
    versions) for PF_XBTUSD; the market's commands are every price command and whatever its
    maker and taker accounts did. Rates are per wall-clock second (exchange time runs ``speed``
    times faster)."""
    first = last = None
    steps: list[int] = []
    mkt_ts: list[int] = []
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key='market_accounts'").fetchone()
            accts = set(str(row[0]).split(",")) if row else set()
            for (blob,) in db.execute("SELECT records FROM journal ORDER BY last_seq"):
                # groups of 4 KB and more are stored zlib-compressed (store/journal.py)
                for _seq, ts, cmd in json.loads(blob if blob[:1] == b"[" else zlib.decompress(blob)):
                    c = cmd.get("c")
                    if c in ("index", "prices"):
                        mkt_ts.append(ts)
                        if cmd.get("s") == "PF_XBTUSD":
                            steps.append(ts)
                    elif cmd.get("a") in accts:
                        mkt_ts.append(ts)
                    elif c in ("place", "cancel"):
                        first = ts if first is None else first
                        last = ts
        finally:
            db.close()
    except (sqlite3.Error, ValueError, TypeError, zlib.error):
        return {}
    if first is None or last is None or last <= first:
        return {}
    wall_s = (last - first) / speed / 1000.0
    n_steps = sum(1 for t in steps if first <= t <= last)
    n_cmds = sum(1 for t in mkt_ts if first <= t <= last)
    return {
        "speed": speed,
        "span_s": wall_s,
        "steps_per_s": n_steps / wall_s,
        "nominal_steps_per_s": speed * 1000.0 / MARKET_INTERVAL_MS,
        "commands_per_s": n_cmds / wall_s,
    }


def fmt_pace(p: Point) -> str:
    m = p.market
    return (
        f"market {m['steps_per_s']:.2f} steps/s (nominal {m['nominal_steps_per_s']:g}), "
        f"{m['commands_per_s']:.0f} commands/s"
    )


def market_summary(points: list[Point]) -> list[dict]:
    """(e) per server setting, in the order first run: medians over its runs, and the ratios of
    market on ÷ off (round trips/s, request p50, request p99) with the within-tolerance verdict."""
    e = [p for p in points if p.section == "e"]
    rows: list[dict] = []
    for setting in dict.fromkeys(p.setting for p in e):
        runs = sorted((p for p in e if p.setting == setting), key=lambda p: p.rep)

        def med(vals: list[float | None]) -> float | None:
            got = [v for v in vals if v is not None]
            return statistics.median(got) if got else None

        row: dict = {
            "setting": setting,
            "target": runs[0].target,
            "conns": runs[0].conns,
            "runs": [p.roundtrips / p.duration for p in runs],
            "rt": med([p.roundtrips / p.duration for p in runs]),
            "errors": sum(p.n_errors for p in runs),
            "server_cpu": med([p.server_cpu for p in runs]),
            "other_cpu": max((p.other_cpu for p in runs if p.other_cpu is not None), default=None),
            "steps_per_s": med([p.market.get("steps_per_s") for p in runs]),
            "nominal_steps_per_s": runs[0].market.get("nominal_steps_per_s"),
            "commands_per_s": med([p.market.get("commands_per_s") for p in runs]),
        }
        for k in ("request", "sendorder", "cancelorder"):
            row[k] = (
                med([p.lat_ms.get(k, (None, None))[0] for p in runs]),
                med([p.lat_ms.get(k, (None, None))[1] for p in runs]),
            )
        rows.append(row)
    base = next((r for r in rows if r["setting"] == "off"), None)
    for r in rows:
        r["ratio"] = None
        if base is None or r is base:
            continue
        try:
            ratio = {
                "rt": r["rt"] / base["rt"],
                "p50": r["request"][0] / base["request"][0],
                "p99": r["request"][1] / base["request"][1],
            }
        except (TypeError, ZeroDivisionError):
            continue
        ratio["within"] = (
            ratio["rt"] >= 1 - MARKET_TOLERANCE
            and ratio["p50"] <= 1 + MARKET_TOLERANCE
            and ratio["p99"] <= 1 + MARKET_TOLERANCE
        )
        # figures from a machine busy with other work are not to be trusted either way
        ratio["busy"] = any(x is not None and x > OTHER_WARN for x in (r["other_cpu"], base["other_cpu"]))
        r["ratio"] = ratio
    return rows


def fmt_ratio(r: dict) -> str:
    q = r["ratio"]
    if q is None:
        return "-"
    return (
        f"round trips/s {q['rt']:.3f}×, p50 {q['p50']:.3f}×, p99 {q['p99']:.3f}×: "
        f"{'within' if q['within'] else 'NOT within'} {MARKET_TOLERANCE * 100:.0f} %"
        + (" (machine busy with other work: unreliable)" if q["busy"] else "")
    )


def report_point(p: Point) -> None:
    if p.section == "d":
        req = sum(p.ok.get(k, 0) for k in MIXED_KINDS) / p.duration
        lats = "  ".join(
            f"{k} {fmt_ms(p.lat_ms[k][0])}/{fmt_ms(p.lat_ms[k][1])}" for k in MIXED_KINDS if k in p.lat_ms
        )
        line = (
            f"[d] {p.target:<18} C={p.conns:<3} {req:8.1f} req/s  p50/p99 ms: {lats}  "
            f"trades {p.extra.get('executions', 0) / p.duration:.1f}/s  "
            f"ioc-not-executed {p.extra.get('ioc_would_not_execute', 0)}  mix % {mix_share(p)}  "
            f"errors {fmt_errors(p)}"
        )
    elif p.section == "e":
        (r50, r99), (s50, s99), (c50, c99) = (p.lat_ms[k] for k in ("request", "sendorder", "cancelorder"))
        line = (
            f"[e] market {p.setting:<22} run {p.rep + 1} C={p.conns:<3} {p.roundtrips / p.duration:8.1f} rt/s  "
            f"request p50 {fmt_ms(r50)} p99 {fmt_ms(r99)} ms (sendorder {fmt_ms(s50)}/{fmt_ms(s99)}, "
            f"cancelorder {fmt_ms(c50)}/{fmt_ms(c99)})  errors {fmt_errors(p)}"
        )
        if p.market:
            line += f"  {fmt_pace(p)}"
    elif p.section == "a":
        (s50, s99), (c50, c99) = p.lat_ms["sendorder"], p.lat_ms["cancelorder"]
        line = (
            f"[a] {p.target:<18} C={p.conns:<3} {p.roundtrips / p.duration:8.1f} rt/s  "
            f"sendorder p50 {fmt_ms(s50)} p99 {fmt_ms(s99)} ms  cancelorder p50 {fmt_ms(c50)} "
            f"p99 {fmt_ms(c99)} ms  errors {fmt_errors(p)}"
        )
    else:
        c50, c99 = p.lat_ms["cancelorder"]
        line = (
            f"[{p.section}] {p.target:<18} C={p.conns:<3} {p.rps('cancelorder'):8.1f} req/s  "
            f"p50 {fmt_ms(c50)} p99 {fmt_ms(c99)} ms  errors {fmt_errors(p)}"
        )
    line += f"  cpu server {fmt_cpu(p.server_cpu)} loadgen {fmt_cpu(p.gen_cpu)} other {fmt_cpu(p.other_cpu)}"
    if p.reconnects:
        line += f"  reconnects {p.reconnects}"
    print(line, flush=True)
    for s in p.samples[:3]:
        print(f"      sample error: {s}", flush=True)


def extract_openapi(md_path: Path) -> str:
    text = md_path.read_text()
    m = re.search(r"^````yaml[^\n]*\n(.*?)^````[ \t]*$", text, re.S | re.M)
    if not m:
        raise RuntimeError(f"no ````yaml fence in {md_path}")
    return m.group(1)


def prism_server_path(yaml_text: str) -> str:
    """Path component of the first `servers:` url (Prism serves paths relative to it...)."""
    m = re.search(r"^servers:\s*\n\s*-\s*url:\s*(\S+)", yaml_text, re.M)
    if not m:
        return ""
    url = m.group(1).strip("'\"")
    path = re.sub(r"^[a-z]+://[^/]+", "", url)
    return path.rstrip("/")


def probe_prism_path(port: int, candidates: list[str], key: str, secret_raw: bytes) -> str:
    """Return the first candidate cancelorder path that Prism answers with 200."""
    for path in candidates:
        req = build_post(
            f"{HOST}:{port}",
            path,
            "order_id=" + str(uuid.uuid4()),
            KS_PREFIX + "/cancelorder",
            key,
            secret_raw,
        )
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(req)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        if data[9:12] == b"200":
            return path
    raise RuntimeError(f"Prism answered none of {candidates} with 200")


def find_prism(npm_prefix: Path) -> list[str] | None:
    local = npm_prefix / "node_modules" / ".bin" / "prism"
    if local.exists():
        return [str(local)]
    return None


def prism_version(npm_prefix: Path) -> str:
    try:
        pkg = npm_prefix / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
        return json.loads(pkg.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def get_mark(port: int) -> float:
    try:
        url = f"http://{HOST}:{port}{KS_PREFIX}/tickers/PF_XBTUSD"
        with urllib.request.urlopen(url, timeout=5) as r:
            mark = float(json.loads(r.read())["ticker"]["markPrice"])
        if 1000 < mark < 10_000_000:
            return mark
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return 90000.0


def krakensim_argv(
    args: argparse.Namespace, port: int, storage: list[str], extra_keys: list[list[str]] | None = None
) -> list[str]:
    more = [x for k, sec in extra_keys or [] for x in ("--api-key", k, "--api-secret", sec)]
    return [
        args.python,
        "-m",
        "krakensim",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        *storage,
        "--seed",
        "1",
        "--api-key",
        args.api_key,
        "--api-secret",
        args.api_secret,
        *more,
        *(["--http", args.http] if args.http else []),
        # a plain exchange, unthrottled: serve runs the market and Kraken's rate limits by default since
        # issue 15 (part (e) adds --market after this, and the last of --market/--quiet wins); an older
        # revision measured by bench/compare.py knows neither flag (and had neither default)
        *(["--quiet", "--no-rate-limits"] if _knows_quiet(args) else []),
    ]


def _knows_quiet(args: argparse.Namespace) -> bool:
    src = Path(args.src).resolve() if args.src else REPO_DIR / "src"
    return "no-rate-limits" in (src / "krakensim" / "cli.py").read_text()


def new_key_pair() -> list[str]:
    return ["bench-" + secrets.token_hex(8), base64.b64encode(secrets.token_bytes(64)).decode()]


def mixed_accounts(args: argparse.Namespace, conns: int) -> list[dict]:
    """Fresh accounts for one mixed point: per connection, enough maker accounts to hold what it
    could leave resting (about 0.25 orders per request at MIXED_RPS_BUDGET req/s over the whole
    point, with slack) without nearing the 500 open orders limit, and one taker account."""
    span = args.warmup + args.duration + 3.0
    makers = max(1, -(-int(0.3 * MIXED_RPS_BUDGET * span) // (conns * MIXED_CAP)))
    return [
        {"makers": [new_key_pair() for _ in range(makers)], "taker": new_key_pair()} for _ in range(conns)
    ]


def krakensim_available(args: argparse.Namespace) -> bool:
    return (REPO_DIR / "src" / "krakensim" / "__main__.py").exists() or subprocess.run(
        [args.python, "-c", "import krakensim.__main__"], capture_output=True, cwd=REPO_DIR
    ).returncode == 0


def git_rev() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True, timeout=5
        )
        rev = out.stdout.strip() or "uncommitted"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def write_markdown(path: Path, args: argparse.Namespace, points: list[Point], meta: dict) -> str:
    L: list[str] = []
    L.append("## Wire benchmark (`bench/wire.py`)")
    L.append("")
    L.append(
        f"Measured {time.strftime('%Y-%m-%d')} on {meta['cpu']} × {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, krakensim `{meta['rev']}`, Prism {meta['prism']}. "
        f"Load generator: {args.procs} worker process(es) of asyncio streams"
        f"{' + uvloop' if args.uvloop else ''}, keep-alive HTTP/1.1, ccxt-style signed POSTs "
        f"(parameters in the query string, empty body, no Nonce). Each point: {args.warmup:g} s warm-up, "
        f"{args.duration:g} s measured. Latencies are client-side, per request, in ms. "
        f"Every response is parsed and its status checked; errors count the whole point (warm-up included)."
        + (" **Quick run (short durations): indicative only.**" if args.quick else "")
    )
    L.append("")
    a = [p for p in points if p.section == "a"]
    if a:
        L.append("### (a) `sendorder` + `cancelorder` round trips (resting limit order, then cancel it)")
        L.append("")
        L.append(
            "| storage | C | round trips/s | requests/s | sendorder p50 | sendorder p99 | cancelorder p50 "
            "| cancelorder p99 | errors | server CPU | loadgen CPU | other CPU |"
        )
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|")
        for p in a:
            (s50, s99), (c50, c99) = p.lat_ms["sendorder"], p.lat_ms["cancelorder"]
            rt = p.roundtrips / p.duration
            L.append(
                f"| `{p.target}` | {p.conns} | {rt:.0f} | {(p.ok['sendorder'] + p.ok['cancelorder']) / p.duration:.0f}"
                f" | {fmt_ms(s50)} | {fmt_ms(s99)} | {fmt_ms(c50)} | {fmt_ms(c99)} | {fmt_errors(p)}"
                f" | {cpu_cells(p)} |"
            )
        L.append("")
    b = [p for p in points if p.section == "b"]
    if b:
        ks_targets = list(dict.fromkeys(p.target for p in b if p.target != "prism")) or ["krakensim"]
        L.append("### (b) `cancelorder` of an unknown order_id: krakensim vs Prism mock")
        L.append("")
        L.append(
            "krakensim answers `cancelStatus.status = notFound`; Prism (`prism mock`, default options, static "
            "example from the spec's cancelorder page) answers its example. Ratio = krakensim req/s ÷ Prism "
            "req/s at the same C."
        )
        L.append("")
        L.append(
            "| krakensim | C | krakensim req/s | p50 | p99 | errors | Prism req/s | p50 | p99 | errors | ratio |"
        )
        L.append("|---|--:|--:|--:|--:|---|--:|--:|--:|---|--:|")

        def cells(p: Point | None) -> str:
            if p is None:
                return "- | - | - | -"
            c50, c99 = p.lat_ms["cancelorder"]
            return f"{p.rps('cancelorder'):.0f} | {fmt_ms(c50)} | {fmt_ms(c99)} | {fmt_errors(p)}"

        for t in ks_targets:
            for c in sorted({p.conns for p in b}):
                k = next((p for p in b if p.conns == c and p.target == t), None)
                r = next((p for p in b if p.conns == c and p.target == "prism"), None)
                ratio = "-"
                if k and r and r.rps("cancelorder") > 0:
                    ratio = f"{k.rps('cancelorder') / r.rps('cancelorder'):.2f}×"
                L.append(f"| `{t}` | {c} | {cells(k)} | {cells(r)} | {ratio} |")
        L.append("")
        cpu_rows = [p for p in b if p.server_cpu is not None]
        if cpu_rows:
            L.append(
                "Server / load-generator / other CPU during the window: "
                + "; ".join(f"{p.target} C={p.conns}: {cpu_cells(p).replace(' |', ' /')}" for p in cpu_rows)
                + "."
            )
            L.append("")
    c_pts = [p for p in points if p.section == "c"]
    if c_pts:
        L.append("### (c) Load-generator ceiling (canned-response asyncio server, same requests and checks)")
        L.append("")
        L.append("| C | req/s | p50 | p99 | errors | server CPU | loadgen CPU | other CPU |")
        L.append("|--:|--:|--:|--:|---|--:|--:|--:|")
        for p in c_pts:
            c50, c99 = p.lat_ms["cancelorder"]
            L.append(
                f"| {p.conns} | {p.rps('cancelorder'):.0f} | {fmt_ms(c50)} | {fmt_ms(c99)} | {fmt_errors(p)}"
                f" | {cpu_cells(p)} |"
            )
        L.append("")
    d = [p for p in points if p.section == "d"]
    if d:
        L.append("### (d) Mixed workload: adds, cancels, aggressive orders and triggers")
        L.append("")
        L.append(
            "Each connection draws every request with its own seeded RNG: 50 % resting `lmt` adds (0.1–5 % "
            "from the mark, sizes 0.001–0.01), 30 % cancels of one of its own resting orders or triggers (drawn "
            "at random; answer `cancelled`, or `filled` if takers got it first), 15 % aggressive orders "
            "(`ioc` at ±2 % or `mkt`, sizes 0.001–0.003, from a taker account of its own that never rests, so "
            "they trade against other accounts' orders; each side chosen to bring the taker back to flat) and "
            "5 % `stp`/`take_profit` triggers on the mark 10–15 % away (`placed` with a PLACE `orderTrigger` "
            "event). *requests/s* = all good answers; latencies p50 / p99 in ms per kind; *trades/s* = "
            "EXECUTION events in the aggressive answers; *not executed* = aggressive orders answered "
            "`iocWouldNotExecute` (no liquidity within the limit), out of all aggressive orders; *mix* = "
            "achieved shares add/cancel/aggressive/trigger in %. Each point uses fresh funded accounts "
            "(one or more makers per connection, so none nears the 500 open orders limit, plus one taker); "
            "the book keeps what earlier points left."
        )
        L.append("")
        L.append(
            "| storage | C | requests/s | add | cancel | aggressive | trigger | trades/s | not executed "
            "| mix % | errors | server CPU | loadgen CPU | other CPU |"
        )
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|")
        for p in d:
            req = sum(p.ok.get(k, 0) for k in MIXED_KINDS) / p.duration
            lat = " | ".join(
                f"{fmt_ms(p.lat_ms.get(k, (None, None))[0])} / {fmt_ms(p.lat_ms.get(k, (None, None))[1])}"
                for k in MIXED_KINDS
            )
            noexec = f"{p.extra.get('ioc_would_not_execute', 0)} of {p.ok.get('aggressive', 0)}"
            L.append(
                f"| `{p.target}` | {p.conns} | {req:.0f} | {lat} | {p.extra.get('executions', 0) / p.duration:.0f}"
                f" | {noexec} | {mix_share(p)} | {fmt_errors(p)} | {cpu_cells(p)} |"
            )
        L.append("")
    rows = market_summary(points)
    if rows:
        conns = rows[0]["conns"]
        order = [r["setting"] for r in rows]
        n_runs = max(len(r["runs"]) for r in rows)
        seq = [order if i % 2 == 0 else order[::-1] for i in range(n_runs)]
        L.append("### (e) Simulated market load: the round trips of (a) with and without `--market`")
        L.append("")
        L.append(
            f"Part (a)'s measurement (signed `sendorder` + `cancelorder` of a resting `PF_XBTUSD` limit "
            f"order 1.5–4.5 % from the mark, C = {conns}, journal on) against a fresh server per run, "
            "started as in (a) (*off*) or with `--market` added. The simulated market then takes a step "
            f"every {MARKET_INTERVAL_MS} ms of exchange time: it publishes an index price for each "
            "listed instrument, has the default agents act (three makers requote what changed in their "
            "ladders, one `Requote` command each; takers send market orders; the arbitrageur takes what "
            "rests through fair value), all through the same journaled engine "
            "path as users' commands, each step's commands applied back to back and committed as one group. `--speed 10` runs "
            "exchange time 10 times faster, so the market nominally steps 10 times per second. Runs "
            "alternate between the settings in the order "
            + ", then ".join("(" + ", ".join(f"*{x}*" for x in o) + ")" for o in seq)
            + " so that drift of the machine's speed touches every setting alike; figures are medians over "
            "a setting's runs (runs: round trips/s of each). *request p50 / p99* = both request kinds "
            "together. *market steps/s* = the market's steps (from the journal) while the load ran, "
            "against the nominal rate; *market commands/s* = the commands it journaled meanwhile. "
            f"*ratio* = market on ÷ off; *within {MARKET_TOLERANCE * 100:.0f} %* = round trips/s ≥ "
            f"{1 - MARKET_TOLERANCE:.2f}× and both p50 and p99 ≤ {1 + MARKET_TOLERANCE:.2f}×. A "
            "`sendorder` that trades on arrival instead of resting counts as an error "
            "(`sendorder:not_resting`)."
        )
        L.append("")
        L.append(
            "| server | round trips/s | runs | request p50 | request p99 | sendorder p50 / p99 "
            "| cancelorder p50 / p99 | market steps/s (nominal) | market commands/s | errors | server CPU "
            f"| other CPU (max) | ratio: round trips/s | p50 | p99 | within {MARKET_TOLERANCE * 100:.0f} % |"
        )
        L.append("|---|--:|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|")
        for r in rows:
            q = r["ratio"]
            steps = (
                f"{r['steps_per_s']:.2f} ({r['nominal_steps_per_s']:g})"
                if r["steps_per_s"] is not None
                else "-"
            )
            cmds = f"{r['commands_per_s']:.0f}" if r["commands_per_s"] is not None else "-"
            ratio = (
                f"{q['rt']:.3f}× | {q['p50']:.3f}× | {q['p99']:.3f}× | {'yes' if q['within'] else '**no**'}"
                + (" (busy machine: unreliable)" if q["busy"] else "")
                if q
                else "- | - | - | -"
            )
            rt = f"{r['rt']:.0f}" if r["rt"] is not None else "-"
            L.append(
                f"| `{r['target']}` | {rt} | {', '.join(f'{x:.0f}' for x in r['runs'])}"
                f" | {fmt_ms(r['request'][0])} | {fmt_ms(r['request'][1])}"
                f" | {fmt_ms(r['sendorder'][0])} / {fmt_ms(r['sendorder'][1])}"
                f" | {fmt_ms(r['cancelorder'][0])} / {fmt_ms(r['cancelorder'][1])}"
                f" | {steps} | {cmds} | {r['errors']} | {fmt_cpu(r['server_cpu'])} | {fmt_cpu(r['other_cpu'])}"
                f" | {ratio} |"
            )
        L.append("")
    busy = [p for p in points if p.other_cpu is not None and p.other_cpu > OTHER_WARN]
    if busy:
        worst = max(busy, key=lambda p: p.other_cpu or 0.0)
        L.append(
            f"**Caution: the machine was not idle.** {len(busy)} of {len(points)} points saw more than "
            f"{OTHER_WARN * 100:.0f} % of a core busy outside the server and the load generator (worst: "
            f"{fmt_cpu(worst.other_cpu)} at [{worst.section}] `{worst.target}` C={worst.conns}); "
            f"those figures are depressed and noisy."
        )
        L.append("")
    bad = [p for p in points if p.errors or p.leaked]
    if bad:
        L.append("Error evidence (first responses that failed the checks, per point):")
        L.append("")
        for p in bad:
            leak = f" ({p.leaked} placed orders left uncancelled)" if p.leaked else ""
            run = f" run {p.rep + 1}" if p.section == "e" else ""
            L.append(f"- [{p.section}] `{p.target}`{run} C={p.conns}: {fmt_errors(p)}{leak}")
            for s in p.samples[:2]:
                L.append(f"  - `{s.replace('`', chr(39))}`")
        L.append("")
    for note in meta.get("notes", []):
        L.append(f"- {note}")
    if meta.get("notes"):
        L.append("")
    text = "\n".join(L)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def parse_conc(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x.strip()]


def parse_speeds(s: str) -> list[float]:
    out = [float(x) for x in s.split(",") if x.strip()]
    if any(v <= 0 for v in out):
        raise argparse.ArgumentTypeError("speeds must be positive")
    return out


PARTS = {  # --parts: each part and the --skip names that leave it out
    "a": ("a-data", "a-memory"),
    "b": ("b-krakensim", "prism"),
    "c": ("null",),
    "d": ("mixed",),
    "e": ("market",),
}


def run_market_part(
    args: argparse.Namespace, tmp: Path, env: dict, points: list[Point], notes: list[str]
) -> None:
    """(e): part (a)'s round trips at C = --market-conc, journal on, against a fresh server per run,
    started plainly ("off") or with --market (and --speed S); settings alternate ABC, CBA, ..."""
    settings: list[tuple[str, list[str], float]] = [("off", [], 1.0)]
    for sp in args.market_speeds:
        flags = ["--market"] + ([] if sp == 1 else ["--speed", f"{sp:g}"])
        settings.append((" ".join(flags), flags, sp))
    for rep in range(args.market_reps):
        for setting, flags, speed in settings if rep % 2 == 0 else settings[::-1]:
            journal = tmp / f"journal-market-{rep}.sqlite"
            port = free_port()
            target = " ".join(["krakensim --data", *flags])
            argv = krakensim_argv(args, port, ["--data", str(journal)]) + flags
            with Service("market", argv, port, f"http://{HOST}:{port}", REPO_DIR, env=env) as svc:
                assert svc.proc is not None
                mark = get_mark(port)  # read per run: with the market on, the mark moves
                p = run_point(
                    args,
                    "e",
                    target,
                    "roundtrip",
                    port,
                    svc.proc.pid,
                    args.market_conc,
                    KS_PREFIX,
                    ("cancelled",),
                    mark,
                )
                if svc.proc.poll() is not None:
                    notes.append(
                        f"{target} (market, run {rep + 1}) exited during the run: {svc.log_text()[-500:]}"
                    )
                elif flags and "market step failed" in svc.log_text():
                    notes.append(f"{target} (run {rep + 1}): {svc.log_text()[-500:]}")
            p.setting, p.rep = setting, rep
            if flags:
                p.market = market_pace(journal, speed)
            report_point(p)
            points.append(p)
            for f in tmp.glob(journal.name + "*"):
                f.unlink()
    for r in market_summary(points):
        if r["ratio"] is not None:
            print(f"[e] market {r['setting']} vs off (medians): {fmt_ratio(r)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short smoke run (about a minute in all)")
    ap.add_argument("--conc", type=parse_conc, default=None, help="concurrent connections, e.g. 1,8,32")
    ap.add_argument(
        "--duration", type=float, default=None, help="measured seconds per point (default 10; quick 1.5)"
    )
    ap.add_argument(
        "--warmup", type=float, default=None, help="warm-up seconds per point (default 3; quick 0.5)"
    )
    ap.add_argument("--procs", type=int, default=1, help="load-generator worker processes (default 1)")
    ap.add_argument(
        "--idle-wait",
        type=float,
        default=None,
        help="before each point wait until the machine is nearly idle, at most this many seconds in all "
        "(default 60; quick 0)",
    )
    ap.add_argument("--uvloop", action="store_true", help="run the load generator on uvloop if installed")
    ap.add_argument(
        "--spec",
        default="../shared/spec/rest/cancel-order.md",
        help="Kraken cancelorder page with the embedded OpenAPI YAML, relative to the repo root "
        "(default %(default)s)",
    )
    ap.add_argument(
        "--python", default=None, help="interpreter for krakensim (default <repo>/.venv/bin/python)"
    )
    ap.add_argument("--npm-prefix", default=str(BENCH_DIR), help="where node_modules with prism-cli lives")
    ap.add_argument(
        "--out", default=str(BENCH_DIR / "results" / "wire.md"), help="markdown fragment to write"
    )
    ap.add_argument("--json", default=None, help="also write raw figures as JSON here")
    ap.add_argument(
        "--skip",
        default="",
        help="comma list of parts to skip: a-data,a-memory,b-krakensim,prism,null,mixed,mixed-data,"
        "mixed-memory,market",
    )
    ap.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="comma list of the parts to run, out of a,b,c,d,e (default all; --skip applies too)",
    )
    ap.add_argument(
        "--market-conc", type=int, default=32, help="connections for part (e) market load (default 32)"
    )
    ap.add_argument(
        "--market-speeds",
        type=parse_speeds,
        default=[1.0, 10.0],
        help="part (e): the market settings compared with a plain server, as --speed values "
        "(1 = `--market` alone; default 1,10)",
    )
    ap.add_argument(
        "--market-reps",
        type=int,
        default=None,
        help="part (e): runs of each setting, interleaved (default 2; quick 1)",
    )
    ap.add_argument(
        "--mixed-conc", type=parse_conc, default=[8, 32], help="connections for part (d) mixed (default 8,32)"
    )
    ap.add_argument(
        "--b-storage",
        choices=["data", "memory", "both"],
        default="both",
        help="krakensim storage mode(s) for part (b) (default both)",
    )
    ap.add_argument("--http", default=None, choices=["uvicorn", "granian"], help="krakensim's HTTP server")
    ap.add_argument("--src", default=None, help="the krakensim source tree to serve (default this checkout's src)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--null-server", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        worker_main()
        return
    if args.null_server is not None:
        null_server_main(args.null_server)
        return

    selftest_signing()
    args.conc = args.conc or [1, 8, 32]
    args.duration = args.duration if args.duration is not None else (1.5 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.quick else 3.0)
    if args.python is None:
        venv_py = REPO_DIR / ".venv" / "bin" / "python"
        args.python = str(venv_py) if venv_py.exists() else sys.executable
    args.idle_wait = args.idle_wait if args.idle_wait is not None else (0.0 if args.quick else 60.0)
    args.idle_budget = [args.idle_wait]
    args.api_key = "bench-" + secrets.token_hex(8)
    args.api_secret = base64.b64encode(secrets.token_bytes(64)).decode()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    parts = {s.strip() for s in args.parts.split(",") if s.strip()}
    if parts - set(PARTS):
        ap.error(
            f"--parts: unknown part(s) {','.join(sorted(parts - set(PARTS)))} (known: {','.join(PARTS)})"
        )
    skip.update(name for part, names in PARTS.items() if part not in parts for name in names)
    args.market_reps = args.market_reps if args.market_reps is not None else (1 if args.quick else 2)
    spec = Path(args.spec)
    if not spec.is_absolute():
        spec = REPO_DIR / spec
    npm_prefix = Path(args.npm_prefix)

    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(args.src).resolve() if args.src else REPO_DIR / "src") + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    points: list[Point] = []
    notes: list[str] = []
    t_begin = time.monotonic()
    unknown_expect = ("notFound",)
    any_cancel = ("cancelled", "filled", "notFound")

    print(
        f"wire bench: C={args.conc}, warm-up {args.warmup:g}s, measure {args.duration:g}s per point, "
        f"{args.procs} load process(es)",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="wire-bench-") as tmp:
        have_ks = krakensim_available(args)
        if not have_ks:
            msg = "krakensim not found (src/krakensim/__main__.py): parts (a) and (b)-krakensim skipped"
            print(msg, flush=True)
            notes.append(msg)
        b_modes = {"data", "memory"} if args.b_storage == "both" else {args.b_storage}
        servers = []  # (target, storage argv, run (a)?, run (b)?)
        for mode, storage in (
            ("data", ["--data", str(Path(tmp) / "journal.sqlite")]),
            ("memory", ["--memory"]),
        ):
            run_a = f"a-{mode}" not in skip
            run_b = mode in b_modes and "b-krakensim" not in skip
            if have_ks and (run_a or run_b):
                servers.append((f"krakensim --{mode}", storage, run_a, run_b))
        for target, storage, run_a, run_b in servers:
            port = free_port()
            with Service(
                target, krakensim_argv(args, port, storage), port, f"http://{HOST}:{port}", REPO_DIR, env=env
            ) as svc:
                assert svc.proc is not None
                print(f"{target}: ready in {svc.startup_s:.1f}s on port {port}", flush=True)
                mark = get_mark(port)
                for c in args.conc if run_a else []:
                    p = run_point(
                        args, "a", target, "roundtrip", port, svc.proc.pid, c, KS_PREFIX, ("cancelled",), mark
                    )
                    report_point(p)
                    points.append(p)
                for c in args.conc if run_b else []:
                    p = run_point(
                        args, "b", target, "cancel", port, svc.proc.pid, c, KS_PREFIX, unknown_expect
                    )
                    report_point(p)
                    points.append(p)
                if svc.proc.poll() is not None:
                    notes.append(f"{target} exited during the run: {svc.log_text()[-500:]}")
            if storage[0] == "--data":
                jp = Path(storage[1])
                size = sum(f.stat().st_size for f in jp.parent.glob(jp.name + "*"))
                if size:
                    notes.append(f"journal size after the `--data` run (incl. WAL): {size / 1e6:.1f} MB")

        for mode in ("data", "memory"):
            if not have_ks or "mixed" in skip or f"mixed-{mode}" in skip:
                continue
            storage = ["--data", str(Path(tmp) / "journal-mixed.sqlite")] if mode == "data" else ["--memory"]
            plan = [(c, mixed_accounts(args, c)) for c in args.mixed_conc]
            keys = [pair for _, accs in plan for a in accs for pair in (*a["makers"], a["taker"])]
            target = f"krakensim --{mode}"
            port = free_port()
            argv = krakensim_argv(args, port, storage, keys)
            with Service(f"mixed-{mode}", argv, port, f"http://{HOST}:{port}", REPO_DIR, env=env) as svc:
                assert svc.proc is not None
                print(
                    f"{target} (mixed, {len(keys) + 1} accounts): ready in {svc.startup_s:.1f}s on port {port}",
                    flush=True,
                )
                mark = get_mark(port)
                for c, accs in plan:
                    p = run_point(
                        args, "d", target, "mixed", port, svc.proc.pid, c, KS_PREFIX, (), mark, accs
                    )
                    report_point(p)
                    points.append(p)
                if svc.proc.poll() is not None:
                    notes.append(f"{target} (mixed) exited during the run: {svc.log_text()[-500:]}")
            if mode == "data":
                jp = Path(storage[1])
                size = sum(f.stat().st_size for f in jp.parent.glob(jp.name + "*"))
                if size:
                    notes.append(
                        f"journal size after the mixed `--data` run (incl. WAL): {size / 1e6:.1f} MB"
                    )

        if have_ks and "market" not in skip:
            run_market_part(args, Path(tmp), env, points, notes)

        if "prism" not in skip:
            prism = find_prism(npm_prefix)
            if prism is None:
                msg = f"Prism not installed: run `npm ci --prefix bench` (looked in {npm_prefix.name}/node_modules)"
                print(msg, flush=True)
                notes.append(msg)
            else:
                yaml_text = extract_openapi(spec)
                yaml_file = Path(tmp) / "cancel-order.yaml"
                yaml_file.write_text(yaml_text)
                port = free_port()
                penv = dict(os.environ, SCARF_ANALYTICS="false", DO_NOT_TRACK="1")
                argv = [*prism, "mock", "-p", str(port), "-h", HOST, str(yaml_file)]
                with Service("prism", argv, port, "Prism is listening", npm_prefix, env=penv) as svc:
                    assert svc.proc is not None
                    base = prism_server_path(yaml_text)
                    cands = ["/cancelorder"] + ([base + "/cancelorder"] if base else [])
                    path = probe_prism_path(port, cands, args.api_key, base64.b64decode(args.api_secret))
                    print(
                        f"prism {prism_version(npm_prefix)}: ready in {svc.startup_s:.1f}s on port {port}, "
                        f"serving {path}",
                        flush=True,
                    )
                    notes.append(
                        f"Prism serves the cancelorder operation at `{path}` (the spec's server URL path "
                        f"`{base}` is not part of the mocked route)."
                    )
                    prefix = path.removesuffix("/cancelorder")
                    for c in args.conc:
                        p = run_point(args, "b", "prism", "cancel", port, svc.proc.pid, c, prefix, any_cancel)
                        report_point(p)
                        points.append(p)

        if "null" not in skip:
            port = free_port()
            argv = [sys.executable, str(Path(__file__).resolve()), "--null-server", str(port)]
            with Service("null", argv, port, None, BENCH_DIR) as svc:
                assert svc.proc is not None
                for c in [max(args.conc)] if args.quick else args.conc:
                    p = run_point(
                        args, "c", "null", "cancel", port, svc.proc.pid, c, KS_PREFIX, unknown_expect
                    )
                    report_point(p)
                    points.append(p)

    meta = {"cpu": cpu_model(), "rev": git_rev(), "prism": prism_version(npm_prefix), "notes": notes}
    out = Path(args.out)
    write_markdown(out, args, points, meta)
    if args.json:
        Path(args.json).write_text(json.dumps([p.__dict__ for p in points], indent=1))
    total_err = sum(p.n_errors for p in points)
    n_busy = sum(1 for p in points if p.other_cpu is not None and p.other_cpu > OTHER_WARN)
    if n_busy:
        print(f"CAUTION: {n_busy} point(s) ran while other processes used >{OTHER_WARN * 100:.0f}% of a core")
    try:
        shown = out.resolve().relative_to(REPO_DIR)
    except ValueError:
        shown = out
    print(
        f"wrote {shown}; {len(points)} points, {total_err} errors, {time.monotonic() - t_begin:.0f}s",
        flush=True,
    )


if __name__ == "__main__":
    main()
