"""``Venue``: a running krakensim as a test sees it — its URLs, its control API, ready clients.

Everything goes through the control API over loopback (the same requests a person's script or the
CLI sends), so what a test does to its venue is journaled and replays like anything else.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..simulator import ThreadedServer


class ControlError(RuntimeError):
    """The control API refused a request (``status``, and the envelope it answered)."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {answer.get('message') or answer.get('error')}")
        self.status = status
        self.answer = answer


@dataclass(frozen=True)
class Account:
    """A funded account's API key: ``key, secret = venue.new_account()`` unpacks it."""

    key: str
    secret: str
    account_uid: str

    def __iter__(self) -> Iterator[str]:
        return iter((self.key, self.secret))


@dataclass
class Venue:
    """A krakensim server running in this process (``server``), driven through its control API."""

    server: ThreadedServer
    _conn: http.client.HTTPConnection | None = None
    _clients: list[Any] = field(default_factory=list)

    # ------------------------------------------------------------------ where it is
    @property
    def url(self) -> str:
        """The REST base URL (``http://127.0.0.1:PORT``): paths under it as on futures.kraken.com."""
        return self.server.url

    @property
    def ws_url(self) -> str:
        """The WebSocket feeds (``ws://127.0.0.1:PORT/ws/v1``)."""
        return self.server.ws_url

    @property
    def admin_token(self) -> str:
        return self.server.admin_token

    @property
    def demo(self) -> Account:
        d = self.server.demo
        return Account(d["apiKey"], d["apiSecret"], d["accountUid"])

    # ------------------------------------------------------------------ the control API
    def control(self, method: str, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One control-API request (``/_krakensim/v1/<name>``); ``ControlError`` unless it succeeded."""
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        headers = {"Authorization": f"Bearer {self.admin_token}", "Host": f"127.0.0.1:{self.server.port}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is opened again, once
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
            try:
                self._conn.request(method, f"/_krakensim/v1/{name}", body=data, headers=headers)
                resp = self._conn.getresponse()
                raw = resp.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        answer: dict[str, Any] = json.loads(raw) if raw else {}
        if resp.status != 200 or answer.get("result") == "error":
            raise ControlError(resp.status, answer)
        return answer

    def reset(self, state: str | None = None) -> None:
        """Back to the configured start (or to ``state``, a state file's text from ``snapshot()``)."""
        self.control("POST", "reset", {} if state is None else {"state": state})

    def snapshot(self) -> str:
        """The whole state as a state file's text (``reset(state)`` or ``krakensim snapshot load`` take it)."""
        state: str = self.control("GET", "snapshot")["state"]
        return state

    def status(self) -> dict[str, Any]:
        return self.control("GET", "status")

    def new_account(self, funds: float | str | Decimal = 100_000) -> Account:
        """A new account holding ``funds`` USD, and a full-access key for it."""
        out = self.control("POST", "accounts", {"usd": str(funds)})
        return Account(out["apiKey"], out["apiSecret"], out["accountUid"])

    def set_price(self, base: str, price: float | str | Decimal) -> None:
        """Index and mark of every contract on ``base`` ("XBT", "ETH", …), on each contract's tick."""
        self.control("POST", "underlying-price", {"base": base, "price": str(price)})

    def advance(self, seconds: float, market_step: float | None = None) -> None:
        """Move the manual clock forward; what falls due on the way happens in order (funding, expiries…).
        ``market_step``: seconds between the simulated market's steps meanwhile (a venue with a market)."""
        doc: dict[str, int] = {"advanceMs": round(seconds * 1000)}
        if market_step is not None:
            doc["marketStepMs"] = round(market_step * 1000)
        self.control("POST", "clock", doc)

    def now_ms(self) -> int:
        """The exchange's time, epoch milliseconds."""
        now = datetime.fromisoformat(self.control("GET", "clock")["now"].replace("Z", "+00:00"))
        return round(now.timestamp() * 1000)

    def rate_limits(self, enabled: bool = True) -> None:
        """Kraken's rate limits on (or off) until the next reset, every bucket full; they refill on the
        venue's clock, so on the manual clock only ``advance`` refills them."""
        self.control("POST", "rate-limits", {"enabled": enabled})

    def fault(self, kind: str, endpoint: str = "*", **fields: Any) -> dict[str, Any]:
        """A fault on purpose until the next reset (``kind``: latency, unavailable, market_unavailable,
        http_5xx, timeout, maintenance; docs/testing.md): ``venue.fault("http_5xx", "/derivatives/api/v3/sendorder",
        status=502)``, ``venue.fault("latency", ms=200, distribution="exponential")``, ``after_s=…, for_s=…``."""
        fault: dict[str, Any] = self.control("POST", "faults", {"kind": kind, "endpoint": endpoint, **fields})["fault"]
        return fault

    def clear_faults(self) -> None:
        self.control("POST", "faults/clear")

    def drop_websockets(self) -> int:
        """Close every WebSocket connection now; how many there were."""
        dropped: int = self.control("POST", "faults/drop-websockets")["dropped"]
        return dropped

    def scenario(self, name: str, **params: Any) -> dict[str, Any]:
        """Start a market scenario (``POST /_krakensim/v1/scenarios {"name": …, …params}``; docs/testing.md)."""
        return self.control("POST", "scenarios", {"name": name, **params})

    # ------------------------------------------------------------------ ready clients
    def ccxt(self, account: Account | None = None) -> Any:
        """A ccxt ``krakenfutures`` pointed at this venue (with ``account``'s key, else public only)."""
        import ccxt

        ex = ccxt.krakenfutures(self._ccxt_config(account))
        self._clients.append(ex)
        return ex

    def ccxt_pro(self, account: Account | None = None) -> Any:
        """A ccxt.pro ``krakenfutures`` (REST and ``ws://`` feeds); ``await ex.close()`` it in the test."""
        import ccxt.pro

        config = self._ccxt_config(account)
        config["urls"]["api"]["ws"] = self.ws_url
        return ccxt.pro.krakenfutures(config)

    def kraken_futures(self, account: Account | None = None) -> Any:
        """python-kraken-sdk's futures REST clients: ``.market``, ``.trade``, ``.user``, ``.funding``."""
        from types import SimpleNamespace

        from kraken.futures import Funding, Market, Trade, User

        key, secret = account if account is not None else ("", "")
        return SimpleNamespace(market=Market(url=self.url), trade=Trade(key, secret, url=self.url),
                               user=User(key, secret, url=self.url), funding=Funding(key, secret, url=self.url))

    def _ccxt_config(self, account: Account | None) -> dict[str, Any]:
        base = self.url
        config: dict[str, Any] = {"enableRateLimit": False, "urls": {"api": {
            "public": base + "/derivatives/api/", "private": base + "/derivatives/api/",
            "charts": base + "/api/charts/", "history": base + "/api/history/"}}}
        if account is not None:
            config.update(apiKey=account.key, secret=account.secret)
        return config

    def close(self) -> None:
        for ex in self._clients:
            session = getattr(ex, "session", None)
            if session is not None:
                session.close()
        self._clients.clear()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
