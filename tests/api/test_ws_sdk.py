"""python-kraken-sdk 3.5.1 ``FuturesWSClient``, unchanged, over ``wss://`` (it dials nothing else) to a
server started with ``--tls-port``, trusting the certificate authority the server made on its first
start through ``SSL_CERT_FILE``: what the SDK's own WebSocket tests expect from the live venue
(shared/spec/ws/clients-ws.md §3), and its resubscription after a reconnect. Every message the SDK
forwards is schema-checked."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kraken.futures import FuturesWSClient

from apihelpers import Creds, ServerProcess, free_port, new_key, new_secret
from ws_schema import validation_errors
from wshelpers import WAIT_S, run

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    work = tmp_path_factory.mktemp("wss")
    srv = ServerProcess(work, [Creds(new_key(), new_secret())], data=work / "data" / "journal.sqlite",
                        extra_args=["--tls-port", str(free_port())])
    srv.start()
    yield srv
    srv.stop()


def tls_port(srv: ServerProcess) -> int:
    return int(srv.extra_args[srv.extra_args.index("--tls-port") + 1])


def ca_file(srv: ServerProcess) -> Path:
    assert srv.data is not None
    ca = srv.data.parent / "tls" / "ca.pem"  # kept with the data, and printed in the banner
    assert str(ca) in srv.log()
    return ca


@pytest.fixture
def trusted(tls_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    """SSL_CERT_FILE names the server's CA; the SDK's ``url``: host:port/path, without the scheme."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file(tls_server)))
    return f"127.0.0.1:{tls_port(tls_server)}/ws/v1"


class Forwarded:
    """What the SDK forwards to its callback, each message schema-checked."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.problems: list[str] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        if "python-kraken-sdk" not in message:  # (the SDK's own notices)
            self.problems += validation_errors(message)
        self.messages.append(message)

    async def wait_for(self, want: dict[str, Any] | str) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while loop.time() < deadline:
            for m in self.messages:
                if m == want or m.get("feed") == want:
                    return m
            await asyncio.sleep(0.05)
        raise AssertionError(f"{want} never came; got {self.messages}")


async def started(url: str, creds: Creds | None = None) -> tuple[FuturesWSClient, Forwarded]:
    seen = Forwarded()
    client = FuturesWSClient(**({"key": creds.key, "secret": creds.secret} if creds else {}), url=url,
                             callback=seen)
    await asyncio.wait_for(client.start(), WAIT_S)  # (against a server it cannot reach it never returns)
    return client, seen


async def closed(client: FuturesWSClient, seen: Forwarded) -> None:
    await client.close()
    assert not seen.problems, "\n".join(seen.problems)


def canonical(subscriptions: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(d, sort_keys=True) for d in subscriptions)


def test_rest_over_tls_with_the_generated_ca(tls_server: ServerProcess) -> None:
    r = requests.get(f"https://127.0.0.1:{tls_port(tls_server)}/derivatives/api/v3/instruments",
                     verify=str(ca_file(tls_server)), timeout=10)
    assert r.status_code == 200 and r.json()["result"] == "success"


def test_public_client_gets_info_and_its_subscriptions_acked(trusted: str) -> None:
    async def go() -> None:
        client, seen = await started(trusted)
        await seen.wait_for({"event": "info", "version": 1})
        await client.subscribe(feed="ticker", products=["PI_XBTUSD", "PF_SOLUSD"])  # one request per product
        await seen.wait_for({"event": "subscribed", "feed": "ticker", "product_ids": ["PI_XBTUSD"]})
        await seen.wait_for({"event": "subscribed", "feed": "ticker", "product_ids": ["PF_SOLUSD"]})
        assert canonical(client.get_active_subscriptions()) == canonical([
            {"event": "subscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD"]},
            {"event": "subscribe", "feed": "ticker", "product_ids": ["PF_SOLUSD"]}])
        await seen.wait_for("ticker")
        await client.subscribe(feed="book", products=["PF_XBTUSD"])
        await seen.wait_for("book_snapshot")
        await client.unsubscribe(feed="ticker", products=["PI_XBTUSD", "PF_SOLUSD"])
        await seen.wait_for({"event": "unsubscribed", "feed": "ticker", "product_ids": ["PI_XBTUSD"]})
        await seen.wait_for({"event": "unsubscribed", "feed": "ticker", "product_ids": ["PF_SOLUSD"]})
        assert client.get_active_subscriptions() == [{"event": "subscribe", "feed": "book",
                                                      "product_ids": ["PF_XBTUSD"]}]
        await closed(client, seen)

    run(go())


def test_private_client_subscribes_after_the_challenge(trusted: str, tls_server: ServerProcess) -> None:
    async def go() -> None:
        client, seen = await started(trusted, tls_server.accounts[0])
        await client.subscribe(feed="open_orders")
        ack = await seen.wait_for({"event": "subscribed", "feed": "open_orders"})
        snapshot = await seen.wait_for("open_orders_snapshot")
        # what the SDK's own tests look for in their log (the repr: keys in the server's order)
        assert repr(ack) == "{'event': 'subscribed', 'feed': 'open_orders'}"
        assert repr(snapshot).startswith("{'feed': 'open_orders_snapshot', 'account':")
        for feed in ("fills", "open_positions", "balances", "account_log", "notifications_auth",
                     "open_orders_verbose", "deposits_withdrawals", "account_balances_and_margins"):
            await client.subscribe(feed=feed)
            await seen.wait_for({"event": "subscribed", "feed": feed})
        await seen.wait_for("balances_snapshot")
        assert len(client.get_active_subscriptions()) == 9
        await client.unsubscribe(feed="open_orders")
        await seen.wait_for({"event": "unsubscribed", "feed": "open_orders"})
        await closed(client, seen)

    run(go())


def test_after_a_reconnect_the_sdk_gets_a_new_challenge_and_its_subscriptions_back(
        trusted: str, tls_server: ServerProcess, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    async def go() -> None:
        client, seen = await started(trusted, tls_server.accounts[0])
        await client.subscribe(feed="open_orders")
        await seen.wait_for({"event": "subscribed", "feed": "open_orders"})
        seen.messages.clear()
        await client._conn.close_connection()  # as the SDK's test_resubscribe does
        await seen.wait_for({"event": "info", "version": 1})  # a new connection
        await seen.wait_for({"event": "subscribed", "feed": "open_orders"})  # re-subscribed with a new challenge
        await seen.wait_for("open_orders_snapshot")
        assert client.get_active_subscriptions() == [{"event": "subscribe", "feed": "open_orders"}]
        await closed(client, seen)

    run(go())
    assert "sent 1000 (OK); then received 1000 (OK)" in caplog.text  # the close answered with 1000
    assert "Recover subscriptions [{'event': 'subscribe', 'feed': 'open_orders'}]: done" in caplog.text
    assert "Failed to subscribe to authenticated feed" not in caplog.text


def test_the_sdk_gets_notifications_posted_through_the_control_api(trusted: str, tls_server: ServerProcess) -> None:
    async def go() -> None:
        client, seen = await started(trusted, tls_server.accounts[0])
        await client.subscribe(feed="notifications_auth")
        ack = await seen.wait_for({"event": "subscribed", "feed": "notifications_auth"})
        seen.messages.remove(ack)  # (wait_for by name would find the ack: it names the feed too)
        snapshot = await seen.wait_for("notifications_auth")
        seen.messages.remove(snapshot)
        tls_server.admin("notifications", {"type": "new_feature", "priority": "low", "note": "A new feed."})
        update = await seen.wait_for("notifications_auth")
        [posted] = update["notifications"]
        assert (posted["type"], posted["priority"], posted["note"]) == ("new_feature", "low", "A new feed.")
        assert posted["id"] == len(snapshot["notifications"]) + 1 and isinstance(posted["effective_time"], int)
        await closed(client, seen)

    run(go())
