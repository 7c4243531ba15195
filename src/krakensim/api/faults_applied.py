"""Faults striking a request (runtime/faults.py): wait, answer as a broken venue would, or not at all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from ..runtime.core import Runtime
from .errors import ApiError

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def edge_page(status: int) -> bytes:
    """The HTML page Kraken's edge (Cloudflare) answers a 5xx with when the venue behind it fails."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = {520: "Web server is returning an unknown error", 521: "Web server is down",
                  522: "Connection timed out", 523: "Origin is unreachable", 524: "A timeout occurred"}.get(
                      status, "Server Error")
    title = f"{status} {reason}"
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n").encode()


async def strike(rt: Runtime, scope: dict[str, Any], receive: Receive, send: Send) -> bool:
    """Apply the faults that hit this request: True when it was answered here (or left unanswered);
    ``ApiError`` for Kraken's envelope; False when it goes on as usual (after any latency)."""
    plan = rt.faults
    hits = plan.hits(scope["method"], scope["path"], rt.clock())
    for fault in hits:
        if fault.kind == "latency":
            await asyncio.sleep(plan.latency_s(fault))
    for fault in hits:
        if fault.kind == "unavailable":
            raise ApiError("Unavailable")
        if fault.kind in ("market_unavailable", "maintenance"):
            raise ApiError("marketUnavailable")
        if fault.kind == "http_5xx":
            page = edge_page(fault.status)
            await send({"type": "http.response.start", "status": fault.status, "headers": [
                (b"content-type", b"text/html"), (b"content-length", str(len(page)).encode()), (b"server", b"cloudflare")]})
            await send({"type": "http.response.body", "body": page})
            return True
        if fault.kind == "timeout":
            while (await receive())["type"] != "http.disconnect":  # no answer until the client leaves
                pass
            return True
    return False
