#!/usr/bin/env python3
"""WebSocket fan-out benchmark: krakensim's ``/ws/v1`` feeds under a busy simulated market.

Measures, over loopback, with the journal on (``--data``, the durable default):

  (a) messages per second written to 1, 100 and 1,000 subscribers of ``book`` + ``trade`` (one
      product each, PF_XBTUSD) while the simulated market runs at ``--speed`` (default 10: ten
      steps a second, each a requote of every contract's ladder and some market orders);
  (b) the time from a group's commit (the moment the runtime publishes its events) to the write of
      its messages on each subscriber's socket, p50 / p99, at each point;
  (c) signed ``sendorder`` + ``cancelorder`` round trips per second with 100 subscribers attached,
      as a ratio to none (runs interleaved: none, 100, 100, none; medians);
  (d) the server's resident memory with a thousand idle connections, against none.

The server runs in a child process (a ``ThreadedServer`` on uvloop, so that its hub's counters can
be read: frames and bytes written, connections dropped as too slow, latency samples). Subscribers
run in two other processes: raw sockets, one handshake each, then reading and discarding as fast as
they can (they count the bytes). Every load loop is bounded in time; only 127.0.0.1 is contacted.
Nothing asserts a figure; ``--quick`` is a short smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import platform
import secrets
import selectors
import socket
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO_DIR / "src"))

from wire import build_post, read_response  # noqa: E402  (the wire benchmark's signed requests)

HOST = "127.0.0.1"
PRODUCT = "PF_XBTUSD"
TARGET_RATE = 100_000
TARGET_P99_MS = 5.0
TARGET_RATIO = 0.9


# ------------------------------------------------------------------------------------------------ server
def server_main(pipe: Any, speed: float, data: str) -> None:  # data "": in memory
    """The server, in its own process: answers "stats", "reset", "rss", "stop" on ``pipe``."""
    import uvloop

    from krakensim.serve.build import Settings
    from krakensim.simulator import ThreadedServer

    uvloop.install()
    sim = ThreadedServer(Settings(data=data or None, port=0, market=True, speed=speed, seed=1)).start()
    assert sim.built is not None
    stats = sim.built.hub.stats
    stats.measure = True
    pipe.send({"port": sim.port, "key": sim.demo["apiKey"], "secret": sim.demo["apiSecret"]})
    while True:
        cmd = pipe.recv()
        if cmd == "stop":
            break
        if cmd == "reset":
            stats.frames = stats.bytes = stats.dropped = 0
            stats.latencies.clear()
            pipe.send(time.perf_counter())
        elif cmd == "stats":
            for _ in range(100):  # (the server's thread appends while this one copies)
                try:
                    samples = list(stats.latencies)
                    break
                except RuntimeError:
                    continue
            pipe.send({"frames": stats.frames, "bytes": stats.bytes, "dropped": stats.dropped, "t": time.perf_counter(),
                       "latencies": samples, "peers": len(sim.built.hub.peers)})
        elif cmd == "rss":
            pipe.send(rss_kb(os.getpid()))
    sim.stop()
    pipe.send("stopped")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------------------------------------------ subscribers
def client_frame(obj: Any) -> bytes:
    """A masked text frame (a client's)."""
    payload = json.dumps(obj).encode()
    mask = secrets.token_bytes(4)
    n = len(payload)
    head = bytes((0x81, 0x80 | n)) if n < 126 else bytes((0x81, 0x80 | 126)) + struct.pack("!H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def open_subscriber(port: int, feeds: list[str]) -> socket.socket:
    s = socket.create_connection((HOST, port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    s.sendall(f"GET /ws/v1 HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head[:200])
    for feed in feeds:
        if feed == "idle":
            continue
        s.sendall(client_frame({"event": "subscribe", "feed": feed, "product_ids": [PRODUCT]}))
    s.setblocking(False)
    return s


def subscribers_main(pipe: Any, port: int, n: int, feeds: list[str]) -> None:
    """``n`` subscribers reading everything; answers "bytes" with what they received, "stop"."""
    socks = [open_subscriber(port, feeds) for _ in range(n)]
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    pipe.send("ready")
    buf = bytearray(1 << 18)
    received = closed = 0
    while True:
        if pipe.poll():
            cmd = pipe.recv()
            if cmd == "stop":
                break
            pipe.send({"bytes": received, "closed": closed})
        time.sleep(0.01)  # (a load generator's own footprint kept small: fewer, larger reads)
        for key, _ in sel.select(0):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                got = sock.recv_into(buf)
            except BlockingIOError:
                continue
            except OSError:
                got = 0
            if got == 0:
                sel.unregister(sock)
                closed += 1
            received += got
    for s in socks:
        s.close()


class Subscribers:
    """``n`` subscribers split over ``procs`` processes."""

    def __init__(self, port: int, n: int, feeds: list[str], procs: int = 2) -> None:
        self.parts = []
        ctx = mp.get_context("spawn")
        for i in range(procs):
            share = n // procs + (1 if i < n % procs else 0)
            if share:
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=subscribers_main, args=(theirs, port, share, feeds), daemon=True)
                proc.start()
                self.parts.append((proc, mine))
        for _, pipe in self.parts:
            if not pipe.poll(120):
                raise RuntimeError("subscribers did not connect")
            pipe.recv()

    def cpu(self) -> float:
        return sum(cpu_s(proc.pid or 0) for proc, _ in self.parts)

    def received(self) -> tuple[int, int]:
        total = closed = 0
        for _, pipe in self.parts:
            pipe.send("bytes")
            got = pipe.recv()
            total += got["bytes"]
            closed += got["closed"]
        return total, closed

    def stop(self) -> None:
        for proc, pipe in self.parts:
            pipe.send("stop")
            proc.join(30)


# ------------------------------------------------------------------------------------------------ REST load
async def round_trips(port: int, key: str, secret: str, conns: int, seconds: float) -> int:
    """Signed sendorder (a resting bid far below the mark) + cancelorder pairs on ``conns`` keep-alive
    connections for ``seconds``; the pairs completed."""
    raw_secret = base64.b64decode(secret)
    path = "/derivatives/api/v3/"
    done = 0
    stop = time.monotonic() + seconds

    async def one(i: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(HOST, port)
        n = 0
        while time.monotonic() < stop:
            n += 1
            q = f"orderType=lmt&symbol={PRODUCT}&side=buy&size=0.001&limitPrice={60000 + (i * 97 + n) % 500}"
            writer.write(build_post(f"{HOST}:{port}", path + "sendorder", q, path + "sendorder", key, raw_secret))
            status, body, _ = await read_response(reader)
            order_id = json.loads(body)["sendStatus"]["order_id"]
            q = f"order_id={order_id}"
            writer.write(build_post(f"{HOST}:{port}", path + "cancelorder", q, path + "cancelorder", key, raw_secret))
            status, body, _ = await read_response(reader)
            if status != 200 or json.loads(body)["cancelStatus"]["status"] != "cancelled":
                raise RuntimeError(body[:300])
            done += 1
        writer.close()

    await asyncio.gather(*(one(i) for i in range(conns)))
    return done


def rest_main(pipe: Any, port: int, key: str, secret: str, conns: int, seconds: float) -> None:
    pipe.send(asyncio.run(round_trips(port, key, secret, conns, seconds)))


def measure_rest(port: int, key: str, secret: str, conns: int, seconds: float) -> float:
    ctx = mp.get_context("spawn")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=rest_main, args=(theirs, port, key, secret, conns, seconds), daemon=True)
    proc.start()
    pairs = mine.recv()
    proc.join(30)
    return float(pairs) / seconds


# ------------------------------------------------------------------------------------------------ the run
def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


class Server:
    """A server child process (see ``server_main``)."""

    def __init__(self, speed: float, storage: str) -> None:
        ctx = mp.get_context("spawn")
        self.pipe, theirs = ctx.Pipe()
        self.tmp = tempfile.TemporaryDirectory(prefix="ws-fanout-")
        data = str(Path(self.tmp.name) / "journal.sqlite") if storage == "data" else ""
        self.proc = ctx.Process(target=server_main, args=(theirs, speed, data), daemon=True)
        self.proc.start()
        self.info = self.pipe.recv()
        self.port: int = self.info["port"]

    def ask(self, cmd: str) -> Any:
        self.pipe.send(cmd)
        return self.pipe.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.proc.join(30)
        self.tmp.cleanup()


def fanout_point(server: Server, n: int, args: argparse.Namespace) -> dict[str, Any]:
    subs = Subscribers(server.port, n, ["book", "trade"])
    time.sleep(args.warmup)
    server.ask("reset")
    got0, _ = subs.received()
    cpu0 = cpu_s(server.proc.pid or 0), subs.cpu()
    time.sleep(args.duration)
    st = server.ask("stats")
    got1, closed = subs.received()
    cpu1 = cpu_s(server.proc.pid or 0), subs.cpu()
    subs.stop()
    lat = st["latencies"]
    point = {"subscribers": n, "frames_per_s": st["frames"] / args.duration,
             "server_bytes_per_s": st["bytes"] / args.duration, "client_bytes_per_s": (got1 - got0) / args.duration,
             "per_subscriber_per_s": st["frames"] / args.duration / n, "dropped": st["dropped"],
             "closed": closed, "p50_ms": pct(lat, 0.5) * 1000, "p99_ms": pct(lat, 0.99) * 1000, "samples": len(lat),
             "server_cpu": (cpu1[0] - cpu0[0]) / args.duration, "subscribers_cpu": (cpu1[1] - cpu0[1]) / args.duration}
    print(f"{n:5d} subscribers: {point['frames_per_s']:10,.0f} msg/s ({point['per_subscriber_per_s']:.0f} each), "
          f"commit→write p50 {point['p50_ms']:.2f} ms p99 {point['p99_ms']:.2f} ms, dropped {st['dropped']}, "
          f"closed {closed}, CPU server {point['server_cpu']:.0%} subscribers {point['subscribers_cpu']:.0%}",
          flush=True)
    time.sleep(1)
    return point


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--speed", type=float, default=10.0, help="the simulated market's --speed (default 10)")
    ap.add_argument("--ceiling-speed", type=float, default=40.0,
                    help="a faster market for one more 1,000-subscriber point, to find the ceiling (0: none)")
    ap.add_argument("--subscribers", default="1,100,1000")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--rest-conns", type=int, default=8)
    ap.add_argument("--rest-reps", type=int, default=3, help="runs of each REST setting, interleaved")
    ap.add_argument("--quick", action="store_true", help="short smoke run")
    ap.add_argument("--json", default=str(BENCH_DIR / "results" / "ws_fanout.json"))
    ap.add_argument("--out", default=str(BENCH_DIR / "results" / "ws_fanout.md"))
    args = ap.parse_args()
    if args.quick:
        args.duration, args.warmup, args.rest_reps = 3.0, 1.0, 1
    counts = [int(x) for x in args.subscribers.split(",")]
    t0 = time.monotonic()
    server = Server(args.speed, "data")
    print(f"server on {server.port}, journal on, market at --speed {args.speed:g}", flush=True)
    time.sleep(args.warmup)
    points = [fanout_point(server, n, args) for n in counts]
    # (d) a thousand idle connections
    rss0 = server.ask("rss")
    idle = Subscribers(server.port, 1000, ["idle"])
    time.sleep(2)
    rss1 = server.ask("rss")
    idle.stop()
    server.stop()
    ceiling = None
    if args.ceiling_speed:
        server = Server(args.ceiling_speed, "data")
        print(f"market at --speed {args.ceiling_speed:g}", flush=True)
        time.sleep(args.warmup)
        ceiling = fanout_point(server, max(counts), args)
        server.stop()
    # (c) REST with 100 subscribers attached, against none: per storage mode, runs interleaved
    rest: dict[str, dict[str, list[float]]] = {}
    rest_cpu: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for storage in ("data", "memory"):
        server = Server(args.speed, storage)
        time.sleep(args.warmup)
        rest[storage] = {"0": [], "100": []}
        rest_cpu[storage] = {"0": [], "100": []}
        order = [0, 100, 100, 0] * ((args.rest_reps + 1) // 2)
        for n in order[:2 * args.rest_reps]:
            subs = Subscribers(server.port, n, ["book", "trade"]) if n else None
            time.sleep(1)
            cpu0 = cpu_s(server.proc.pid or 0), subs.cpu() if subs else 0.0
            rate = measure_rest(server.port, server.info["key"], server.info["secret"], args.rest_conns, args.duration)
            cpu1 = cpu_s(server.proc.pid or 0), subs.cpu() if subs else 0.0
            rest[storage][str(n)].append(rate)
            rest_cpu[storage][str(n)].append(((cpu1[0] - cpu0[0]) / args.duration, (cpu1[1] - cpu0[1]) / args.duration))
            print(f"--{storage}: REST round trips with {n:3d} subscribers: {rate:,.0f}/s (CPU server "
                  f"{rest_cpu[storage][str(n)][-1][0]:.0%}, subscribers {rest_cpu[storage][str(n)][-1][1]:.0%})",
                  flush=True)
            if subs is not None:
                subs.stop()
        server.stop()
    ratios = {k: statistics.median(v["100"]) / statistics.median(v["0"]) for k, v in rest.items()}
    result = {"speed": args.speed, "duration": args.duration, "product": PRODUCT, "points": points,
              "ceiling_speed": args.ceiling_speed, "ceiling": ceiling, "rest": rest, "rest_cpu": rest_cpu, "rest_ratio": ratios,
              "rest_conns": args.rest_conns, "idle_rss_kb": [rss0, rss1], "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
              "load": os.getloadavg()[0], "seconds": time.monotonic() - t0}
    Path(args.json).write_text(json.dumps(result, indent=1))
    Path(args.out).write_text(markdown(result))
    print(f"REST ratios (100 subscribers / none): {ratios}; 1000 idle connections: "
          f"+{(rss1 - rss0) / 1024:.1f} MiB resident; wrote {args.out}")


def markdown(r: dict[str, Any]) -> str:
    lines = [
        "## WebSocket fan-out (`bench/ws_fanout.py`)",
        "",
        f"Measured {r['date']} ({r['machine']}, {r['cpus']} cores, Python {r['python']}; load average "
        f"{r['load']:.1f} at the end: the machine is shared). The server (journal on) runs the simulated market at "
        f"`--speed {r['speed']:g}`; each subscriber is a raw socket subscribed to `book` and `trade` of "
        f"{r['product']}, in two processes that read and discard everything. *msg/s* = frames the server wrote to "
        f"sockets per second (its hub counts them), over {r['duration']:g} s after a warm-up; *commit → write* = from "
        "the moment a group's transaction is durable to the write of its messages on each subscriber's socket, one "
        "sample per subscriber written (the oldest group of a batch); *dropped* = connections closed as too slow "
        "(1011); *closed* = connections the subscribers saw closed.",
        "",
        "| market | subscribers | msg/s fanned out | per subscriber | server MB/s | subscribers' MB/s | commit → write "
        "p50 | p99 | dropped | closed |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    rows = [(r["speed"], p) for p in r["points"]]
    if r.get("ceiling"):
        rows.append((r["ceiling_speed"], r["ceiling"]))
    for speed, p in rows:
        lines.append(f"| `--speed {speed:g}` | {p['subscribers']:,} | {p['frames_per_s']:,.0f} | "
                     f"{p['per_subscriber_per_s']:,.0f} | {p['server_bytes_per_s'] / 1e6:.1f} | "
                     f"{p['client_bytes_per_s'] / 1e6:.1f} | {p['p50_ms']:.2f} ms | {p['p99_ms']:.2f} ms | "
                     f"{p['dropped']} | {p['closed']} |")
    lines += ["", f"REST round trips (signed `sendorder` + `cancelorder` of a resting {r['product']} order, so that "
              f"every command also changes the book the subscribers watch; {r['rest_conns']} keep-alive connections, "
              "the market running) with 100 subscribers attached against none, runs interleaved, per storage mode:",
              "", "| storage | none (pairs/s) | 100 subscribers (pairs/s) | ratio of the medians |", "|---|---|---|--:|"]
    for storage, runs in r["rest"].items():
        lines.append(f"| `--{storage}` | {', '.join(f'{x:,.0f}' for x in runs['0'])} | "
                     f"{', '.join(f'{x:,.0f}' for x in runs['100'])} | **{r['rest_ratio'][storage]:.3f}** |")
    lines += [
        "",
        "What limits it: the market produces a fixed number of book and trade messages a second (about "
        f"{r['points'][0]['per_subscriber_per_s']:,.0f} for {r['product']} at `--speed {r['speed']:g}`), so the "
        "rate fanned out is that times the subscribers until the server's one event loop is busy; each message is "
        "serialised once, so a subscriber costs one list append per message and one socket write per flush "
        "(within a budget: at most 40 flushes a second under a stream of groups, and writing at most a quarter of the time): at 1,000 subscribers the writes (a system call each, and the "
        "loopback's work behind it) and the subscribers' own reading on the same two cores dominate, and the "
        "commit → write time grows with the number of connections written in turn. The REST ratio pays the same "
        "writes: every REST command here changes the watched book, so each is fanned out to all 100 subscribers; "
        "in `--memory` every command is its own group, with the journal several commands share one.",
        "",
        f"A thousand idle connections (handshake done, no subscription): the server's resident memory went from "
        f"{r['idle_rss_kb'][0] / 1024:.1f} MiB to {r['idle_rss_kb'][1] / 1024:.1f} MiB "
        f"({(r['idle_rss_kb'][1] - r['idle_rss_kb'][0]) / 1000:.1f} KiB each).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
