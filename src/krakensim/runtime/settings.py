"""The venue's settings changed through the control API, journaled so that a restart keeps them.

Four settings are the runtime's, not the exchange's (they stay out of the engine and its digest):
Kraken's rate-limit switch, the faults on purpose (with their seed and their schedule on the
exchange's clock), the simulated market paused or running, and a scaled clock's speed. A change is
one ``SetVenueSetting`` command (the setting's name and its whole new value, as JSON) journaled
beside the exchange's commands, applied by the runtime live and in a replay, like ``AddApiKey``.

Only what the control API changed is kept (``overrides``): a restart's own flags decide the rest,
and a ``ResetState`` (a reset, a loaded state file) forgets every override, so each setting goes
back to what the server was started with. The overrides travel in the runtime's snapshots, not in
state files (docs/testing.md).
"""

from __future__ import annotations

from typing import Any, Protocol

from ..engine.commands import Command
from .clock import ScaledClock
from .faults import Fault, FaultPlan
from .rate_limits import RateLimiter

RATE_LIMITS = "rate_limits"  # bool: Kraken's rate limits apply
FAULTS = "faults"  # {"faults": [fault JSON, with its id], "next_id": int}: the faults in force
MARKET_RUNNING = "market_running"  # bool: the simulated market steps
CLOCK_SPEED = "clock_speed"  # number: how much faster than the wall clock a scaled clock runs
NAMES = (RATE_LIMITS, FAULTS, MARKET_RUNNING, CLOCK_SPEED)
BODY_START = b'{"c":"setting"'  # how a journaled SetVenueSetting begins (msgspec writes the tag first)


class SetVenueSetting(Command, frozen=True, tag="setting", rename={"name": "s", "value": "v"}):
    """One setting's new value (keys "s" and "v": "k" and "n" are the stamp's, beside a command's own)."""

    name: str
    value: Any


class Venue(Protocol):
    """What of the runtime the settings live in."""

    limiter: RateLimiter
    faults: FaultPlan
    market_paused: bool
    clock: Any
    overrides: dict[str, Any]


def faults_value(plan: FaultPlan, added: Fault | None = None) -> dict[str, Any]:
    """The ``faults`` setting's value: those in force (and ``added``, with the next id), the next id."""
    faults = [f.to_json() for f in plan.faults]
    next_id = plan.next_id
    if added is not None:
        faults.append({**added.to_json(), "id": next_id})
        next_id += 1
    return {"faults": faults, "next_id": next_id}


def apply_setting(venue: Venue, name: str, value: Any) -> None:
    """Put ``value`` in force (live, or replaying the journal, or from a snapshot); ``ValueError`` if
    ``name`` is not a setting this krakensim knows."""
    if name == RATE_LIMITS:
        venue.limiter.enabled = bool(value)
        venue.limiter.reset_buckets()  # every bucket full again, as the switch always did
    elif name == FAULTS:
        venue.faults.faults = [Fault(**f) for f in value["faults"]]
        venue.faults.next_id = int(value["next_id"])
    elif name == MARKET_RUNNING:
        venue.market_paused = not value
    elif name == CLOCK_SPEED:
        if isinstance(venue.clock, ScaledClock):  # (a restart on another kind of clock: nothing to speed up)
            venue.clock.set_speed(float(value))
    else:
        raise ValueError(f"{name!r} is not a venue setting (one of {', '.join(NAMES)})")
    venue.overrides[name] = value


def reset_settings(venue: Venue) -> None:
    """Every setting back to what the server was started with (a ``ResetState``: a reset, a state loaded)."""
    venue.overrides.clear()
    venue.limiter.reset()
    venue.faults.reset()
    venue.market_paused = False
    if isinstance(venue.clock, ScaledClock) and venue.clock.speed != venue.clock.start_speed:
        venue.clock.set_speed(venue.clock.start_speed)


def restore_settings(venue: Venue, overrides: dict[str, Any]) -> None:
    """The overrides a snapshot held, in force again."""
    for name, value in overrides.items():
        apply_setting(venue, name, value)
