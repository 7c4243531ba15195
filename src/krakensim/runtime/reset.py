"""Reset and state files: back to a new exchange, and the whole state exported and loaded.

``ResetState`` is a journaled command: applied (live or in a replay) it replaces the exchange and
the keys with new ones made from the runtime's configuration, so a replay after a restart starts
over at the same point. What a new start makes (the first ``Tick``, the configured and demo
accounts, the market's accounts) is journaled after it as ordinary commands.

A state file is the commands applied since the last reset, with their times and the key and nonce
that authorised them, one JSON record a line after a header: portable across releases (the journal
encoding, which every release keeps reading), readable, and never code (no pickle: loading a file
runs nothing but exchange commands). Loading one replays it onto a new exchange first, so a file
that does not apply changes nothing; then a ``ResetState`` and the same commands are journaled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec
import orjson

from ..engine.commands import Command

STATE_FORMAT = "krakensim-state"
STATE_VERSION = 1


class ResetState(Command, frozen=True, tag="reset"):
    """Replace the exchange and its keys with new ones (the runtime's configuration, its seed)."""


class StateFileError(ValueError):
    """A state file that cannot be loaded; the message names what is wrong."""


class StateHeader(msgspec.Struct, frozen=True):
    format: str
    version: int
    seed: int
    clock: int  # exchange time (epoch ms) when the file was written
    commands: int
    krakensim: str = ""


def write_state(seed: int, clock: int, version: str, records: list[tuple[int, bytes]]) -> Iterator[bytes]:
    """The lines of a state file: a header, then ``[time, command]`` for each record."""
    header = StateHeader(STATE_FORMAT, STATE_VERSION, seed, clock, len(records), version)
    yield msgspec.json.encode(header) + b"\n"
    for ts, body in records:
        yield b"[%d,%s]\n" % (ts, body)


def read_state(data: bytes) -> tuple[StateHeader, list[tuple[int, bytes]]]:
    """The header and the ``(time, command JSON)`` records of a state file (``StateFileError`` if malformed)."""
    lines = data.split(b"\n")
    try:
        header = msgspec.json.decode(lines[0], type=StateHeader)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise StateFileError(f"state file: its first line is not a krakensim state header ({e})") from None
    if header.format != STATE_FORMAT or header.version != STATE_VERSION:
        raise StateFileError(f"state file: format {header.format!r} version {header.version} is not "
                             f"{STATE_FORMAT!r} version {STATE_VERSION}")
    records: list[tuple[int, bytes]] = []
    for n, line in enumerate(_nonblank(lines[1:]), 2):
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise StateFileError(f"state file: line {n} is not JSON") from None
        if not (isinstance(rec, list) and len(rec) == 2 and isinstance(rec[0], int) and isinstance(rec[1], dict)):
            raise StateFileError(f"state file: line {n} is not [time, command]")
        records.append((rec[0], orjson.dumps(rec[1])))
    if len(records) != header.commands:
        raise StateFileError(f"state file: the header counts {header.commands} commands, the file holds "
                             f"{len(records)} (cut short?)")
    return header, records


def _nonblank(lines: Iterable[bytes]) -> Iterator[bytes]:
    return (line for line in lines if line.strip())
