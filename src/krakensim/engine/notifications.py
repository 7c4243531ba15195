"""The venue's notifications: what REST ``notifications`` lists and the ``notifications_auth`` feed sends.

Kraken announces maintenance, settlements, new features and market news to every account. In
krakensim the control API posts them (``PostNotification``); they are kept, numbered from 1, up to
the retention's cap (the oldest dropped first), and are part of the state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .events import Event, NotificationPosted

KINDS = ("market", "general", "new_feature", "bug_fix", "maintenance", "settlement")  # NotificationJson.type
PRIORITIES = ("low", "medium", "high")
MAX_NOTE = 2_000  # characters: a note is a short description (the spec's words)


def refusal(kind: str, priority: str, note: str, effective_time: int | None,
            expected_downtime_minutes: int | None) -> str | None:
    """Why a notification cannot be posted (None: it can)."""
    if kind not in KINDS or priority not in PRIORITIES:
        return "invalidArgument"
    if not note or len(note) > MAX_NOTE:
        return "invalidArgument"
    if effective_time is not None and not 0 <= effective_time < 1 << 53:
        return "invalidArgument"
    if expected_downtime_minutes is not None and not 0 <= expected_downtime_minutes < 1 << 31:
        return "invalidArgument"
    return None


class Notifications:
    """Every notification posted and still kept, oldest first."""

    __slots__ = ("emit", "kept", "posted")

    def __init__(self, emit: Callable[[Event], None], kept: int) -> None:
        self.emit = emit
        self.kept: deque[NotificationPosted] = deque(maxlen=kept)
        self.posted = 0  # notifications ever posted (the last one's id)

    def post(self, kind: str, priority: str, note: str, effective_time: int,
             expected_downtime_minutes: int | None, now: int) -> NotificationPosted:
        self.posted += 1
        n = NotificationPosted(now, self.posted, kind, priority, note, effective_time, expected_downtime_minutes)
        self.kept.append(n)
        self.emit(n)
        return n

    def state(self) -> tuple[object, ...]:
        return (self.posted, [(n.notification_id, n.time, n.kind, n.priority, n.note, n.effective_time,
                               n.expected_downtime_minutes) for n in self.kept])
