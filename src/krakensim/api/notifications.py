"""GET /derivatives/api/v3/notifications: the venue's notifications (posted through the control API)."""

from __future__ import annotations

from typing import Any

from ..engine.events import NotificationPosted
from .render.numbers import iso
from .request import Reply, Request, ok


def notification_json(n: NotificationPosted) -> dict[str, Any]:
    """A NotificationJson (``effectiveTime`` written as the other times of the REST API)."""
    d: dict[str, Any] = {"type": n.kind, "priority": n.priority, "note": n.note, "effectiveTime": iso(n.effective_time)}
    if n.expected_downtime_minutes is not None:
        d["expectedDowntimeMinutes"] = n.expected_downtime_minutes
    return d


async def notifications(req: Request) -> Reply:
    """Every notification kept, oldest first (the order of the spec's example)."""
    rt = req.rt
    return ok(rt.clock(), notifications=[notification_json(n) for n in rt.exchange.notifications.kept])
