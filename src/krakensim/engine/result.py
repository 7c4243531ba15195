"""The answer to one command."""

from __future__ import annotations

import msgspec

from .assignment import Preference
from .events import Event


class Result(msgspec.Struct):
    """``status`` is Kraken's word for the outcome (placed, cancelled, insufficientAvailableFunds…).

    ``order_events`` is the requester's view: the events about the order(s) the command named, in
    the order Kraken's REST answers list them. ``events`` is everything the command changed, for
    every party, in apply order (the runtime publishes them once they are durable).
    """

    status: str
    order_id: str | None = None
    client_order_id: str | None = None
    reason: str | None = None  # the OrderError of a refusal
    order_events: list[Event] = []
    events: list[Event] = []
    account_id: str | None = None  # CreateAccount: the new account
    deadline: int | None = None  # ArmDeadManSwitch: when it fires (None: disarmed)
    preference: Preference | None = None  # Add/DeleteAssignmentPreference: the preference
