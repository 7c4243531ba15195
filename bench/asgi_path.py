#!/usr/bin/env python3
"""The request path without the HTTP server: n signed sendorder + cancelorder pairs driven straight
through krakensim's ASGI app in this process (memory mode), as uvicorn would call it.

Everything of ours a wire round trip runs (routing, authentication with HMAC-SHA512, parameters,
the runtime, the engine, rendering, JSON) and nothing of uvicorn's or the kernel's, so that
bench/compare.py can count its instructions for two releases (``--src``) exactly.

    python bench/asgi_path.py [--src DIR] [-n PAIRS]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-asgi-key"
SECRET = base64.b64encode(b"s" * 64).decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=str(ROOT / "src"))
    ap.add_argument("-n", type=int, default=10_000)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.src).resolve()))
    try:
        from krakensim.serve.build import Settings, build
    except ImportError:  # releases before the composition root moved to serve/
        from krakensim.runtime.server import Settings, build  # type: ignore[no-redef]
    import orjson

    built = build(Settings(data=None, keys=[(KEY, SECRET)], seed=1))
    app = built.app
    raw = base64.b64decode(SECRET)

    async def call(path: str, query: bytes) -> Any:
        digest = hashlib.sha256(query + path[len("/derivatives"):].encode()).digest()
        authent = base64.b64encode(hmac.new(raw, digest, hashlib.sha512).digest())
        scope = {"type": "http", "method": "POST", "path": path, "query_string": query,
                 "headers": [(b"apikey", KEY.encode()), (b"authent", authent)]}
        body: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.body":
                body.append(msg["body"])

        await app(scope, receive, send)
        return orjson.loads(body[0])

    async def run() -> float:
        await built.runtime.start()
        t = time.perf_counter()
        for i in range(args.n):
            side = "buy" if i & 1 else "sell"
            price = 89500 - (i % 300) if side == "buy" else 90500 + (i % 300)
            query = f"orderType=lmt&symbol=PF_XBTUSD&side={side}&size=0.01&limitPrice={price}".encode()
            placed = await call("/derivatives/api/v3/sendorder", query)
            cancelled = await call("/derivatives/api/v3/cancelorder", f"order_id={placed['sendStatus']['order_id']}".encode())
            assert cancelled["cancelStatus"]["status"] == "cancelled", cancelled
        dt = time.perf_counter() - t
        await built.runtime.stop()
        return dt

    dt = asyncio.run(run())
    print(f"{args.n:,} sendorder+cancelorder pairs through the ASGI app in {dt:.2f} s: {args.n / dt:,.0f} pairs/s")


if __name__ == "__main__":
    main()
