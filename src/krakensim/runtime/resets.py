"""The runtime's reset, state export and state load (the commands and the file format: reset.py)."""

from __future__ import annotations

import msgspec

from ..engine.commands import Tick
from .clock import ManualClock
from .core import CODEC, Runtime, stamp_of
from .reset import ResetState, StateFileError, read_state, write_state
from .settings import BODY_START as SETTING_BODY_START
from .settings import SetVenueSetting

RESET_BODY_START = b'{"c":"reset"'  # how a journaled ResetState begins (msgspec writes the tag first)


async def reset(rt: Runtime) -> None:
    """Back to a new exchange as the server's start makes one: a manual clock back at its configured start,
    a ``ResetState`` (the venue's settings as configured too: runtime/settings.py), the first ``Tick``, then
    the start's accounts and market (``rt.on_reset``)."""
    if isinstance(rt.clock, ManualClock) and rt.clock_origin is not None:
        rt.clock.now = rt.clock_origin
    rt.drop_websockets()  # their books and accounts are gone: clients reconnect to the new state
    await rt.submit(ResetState())
    await rt.submit(Tick())
    for hook in rt.on_reset:
        await hook()


async def records_since_reset(rt: Runtime) -> list[tuple[int, bytes]]:
    """The (time, command JSON) of every command applied since the last reset (or the start), durable."""
    await rt.barrier()
    journal = rt.journal
    if journal is None:
        if rt.log is None:
            raise StateFileError("state: this server keeps no commands (in memory with the simulated market, "
                                 "whose commands would fill the memory): start it with --data to save states")
        return list(rt.log)
    upto = rt.seq

    def read() -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        for seq, ts, body in journal.replay(0):
            if seq > upto:
                break
            if body.startswith(RESET_BODY_START):
                out.clear()
            elif not body.startswith(SETTING_BODY_START):  # the venue's settings are no part of a state file
                out.append((ts, body))
        return out

    records: list[tuple[int, bytes]] = await rt.on_writer(read)
    return records


async def export_state(rt: Runtime, version: str) -> bytes:
    """The state file of the exchange as it is now."""
    records = await records_since_reset(rt)
    return b"".join(write_state(rt.seed, rt.clock(), version, records))


async def load_state(rt: Runtime, data: bytes) -> int:
    """Replace the state with the one of a state file; returns how many commands it held.

    ``StateFileError`` (and nothing changed) when the file is malformed, of another seed, or holds a
    command that does not apply to a new exchange of this configuration."""
    header, records = read_state(data)
    if header.seed != rt.seed:
        raise StateFileError(f"state file: seed {header.seed} is not this server's seed {rt.seed} "
                             f"(start it with --seed {header.seed} and new data)")
    trial = rt.fresh()
    for n, (ts, body) in enumerate(records, 2):
        try:
            command = CODEC.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise StateFileError(f"state file: line {n} is not a command this krakensim knows ({e})") from None
        if isinstance(command, ResetState):
            raise StateFileError(f"state file: line {n} is a reset (a state file holds what follows one)")
        if isinstance(command, SetVenueSetting):
            raise StateFileError(f"state file: line {n} is a venue setting (a state file holds the exchange's "
                                 "commands; the settings are the server's)")
        try:
            trial._apply(command, ts, stamp_of(body))
        except Exception as e:  # noqa: BLE001 - named with its line; nothing was changed
            raise StateFileError(f"state file: line {n} does not apply ({e!r})") from None
    if isinstance(rt.clock, ManualClock):
        rt.clock.now = header.clock
    durable = rt.install(trial, records)
    rt.drop_websockets()  # their subscriptions show the state that was replaced
    if durable is not None:
        await durable
    return len(records)
