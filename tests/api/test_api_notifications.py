"""Notifications: posted through the control API (journaled), listed by REST ``notifications`` as
python-kraken-sdk's get_notifications and ccxt's implicit method read it, and sent on the WebSocket
``notifications_auth`` feed (snapshot, then each new one). Every answer and message is schema-checked."""

from __future__ import annotations

import signal
from typing import Any

from kraken.futures import User

from apihelpers import (
    MANUAL_START_MS,
    Creds,
    HttpRecorder,
    ServerProcess,
    Venue,
    make_sdk,
    new_key,
    new_secret,
)
from wshelpers import Ws, feed, run, ws_url

MAINTENANCE = {"type": "maintenance", "priority": "high", "note": "Downtime for an upgrade.",
               "effectiveTime": "2026-01-02T06:00:00.000Z", "expectedDowntimeMinutes": 30}


def test_posted_notifications_are_listed_oldest_first(venue: Venue) -> None:
    me = venue.account()
    user = venue.sdk(User, me)
    assert user.get_notifications()["notifications"] == []
    first = venue.srv.admin("notifications", {"type": "general", "priority": "low", "note": "Hello."})
    assert first["id"] == 1 and first["effectiveTime"] == "2026-01-01T00:00:00.000Z"  # now, when not given
    venue.advance(5000)
    second = venue.srv.admin("notifications", {**MAINTENANCE, "effectiveTime": MANUAL_START_MS + 86_400_000})
    assert second["id"] == 2 and second["effectiveTime"] == "2026-01-02T00:00:00.000Z"  # epoch ms taken too
    venue.srv.admin("notifications", MAINTENANCE)
    got = user.get_notifications()
    assert got["result"] == "success" and got["serverTime"] == "2026-01-01T00:00:05.000Z"
    assert got["notifications"] == [
        {"type": "general", "priority": "low", "note": "Hello.", "effectiveTime": "2026-01-01T00:00:00.000Z"},
        {"type": "maintenance", "priority": "high", "note": "Downtime for an upgrade.",
         "effectiveTime": "2026-01-02T00:00:00.000Z", "expectedDowntimeMinutes": 30},
        {"type": "maintenance", "priority": "high", "note": "Downtime for an upgrade.",
         "effectiveTime": "2026-01-02T06:00:00.000Z", "expectedDowntimeMinutes": 30},
    ]
    assert venue.ccxt(venue.account()).privateGetNotifications()["notifications"] == got["notifications"]


def test_notifications_reach_every_account_s_feed(venue: Venue) -> None:
    a, b = venue.account(), venue.account()
    venue.srv.admin("notifications", {"type": "settlement", "priority": "medium", "note": "Week contracts settle."})

    async def go() -> None:
        subscribed: list[tuple[Ws, dict[str, Any]]] = []
        for creds in (a, b):
            ws = await Ws.open(ws_url(venue.base))
            await ws.private("notifications_auth", creds)
            assert await ws.recv() == {"event": "subscribed", "feed": "notifications_auth"}
            subscribed.append((ws, await ws.recv()))
        for _, snapshot in subscribed:
            assert snapshot == {"feed": "notifications_auth", "notifications": [
                {"id": 1, "type": "settlement", "priority": "medium", "note": "Week contracts settle.",
                 "effective_time": MANUAL_START_MS}]}
        venue.srv.admin("notifications", MAINTENANCE)
        for ws, _ in subscribed:
            update = await ws.until(feed("notifications_auth"))
            assert update == {"feed": "notifications_auth", "notifications": [
                {"id": 2, "type": "maintenance", "priority": "high", "note": "Downtime for an upgrade.",
                 "effective_time": MANUAL_START_MS + 6 * 3_600_000 + 86_400_000, "expected_downtime_minutes": 30}]}
            await ws.close()

    run(go())


def test_notifications_survive_a_restart(tmp_path, recorder: HttpRecorder) -> None:
    """Posted means journaled: the notification is there after the server replays its journal."""
    srv = ServerProcess(tmp_path, [Creds(new_key(), new_secret())], data=tmp_path / "journal.db")
    srv.start()
    try:
        srv.admin("notifications", MAINTENANCE)
        digest = srv.admin("digest")["digest"]
        srv.stop(signal.SIGKILL)
        srv.start()
        assert srv.admin("digest")["digest"] == digest
        user = make_sdk(User, srv.base, srv.accounts[0], recorder)
        assert [n["note"] for n in user.get_notifications()["notifications"]] == [MAINTENANCE["note"]]
    finally:
        srv.stop()
