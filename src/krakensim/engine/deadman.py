"""Dead man's switches: an account's orders are all cancelled when its deadline passes unarmed.

Deadlines are epoch milliseconds; the exchange asks ``next`` when to look again and cancels
the orders of every switch ``fire`` returns, as of its deadline.
"""

from __future__ import annotations

from collections.abc import Callable

from .events import DeadManSwitchArmed, Event


class DeadManSwitches:
    __slots__ = ("deadlines", "next", "emit")

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self.deadlines: dict[str, int] = {}  # account id -> deadline
        self.next: int | None = None  # the earliest deadline
        self.emit = emit

    def arm(self, account_id: str, timeout_seconds: int, now: int) -> int | None:
        """Arm (or, with 0, disarm) the account's switch; returns its deadline."""
        deadline = None
        if timeout_seconds <= 0:
            self.deadlines.pop(account_id, None)
        else:
            deadline = self.deadlines[account_id] = now + timeout_seconds * 1000
        self._changed()
        self.emit(DeadManSwitchArmed(now, account_id, deadline))
        return deadline

    def fire(self, now: int) -> list[tuple[str, int]]:
        """Disarm every switch whose deadline has come; (account, deadline) of each, earliest first."""
        due = sorted(((d, a) for a, d in self.deadlines.items() if d <= now))
        for _deadline, account_id in due:
            del self.deadlines[account_id]
        self._changed()
        return [(a, d) for d, a in due]

    def _changed(self) -> None:
        self.next = min(self.deadlines.values()) if self.deadlines else None

    def state(self) -> tuple[object, ...]:
        return sorted(self.deadlines.items()), self.next
