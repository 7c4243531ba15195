"""The journal proves itself: sequence continuity and a hash chain over its groups.

Every row (one group of commands ``first_seq``..``last_seq``) stores ``chain``: the SHA-256 of the
previous row's chain, the row's two sequence numbers and its bytes as stored (compressed or not).
The first row chains from a value derived from the journal's seed, so an edited seed breaks the
chain too. A check walks the rows in order (``Walk``) and stops at the first one that does not follow:

- a gap (``first_seq`` is not the previous ``last_seq`` + 1: a group was deleted, or the first one);
- an edit (the stored chain differs from the one computed: bytes, sequence numbers or seed changed);
- an undecodable group (not the framed records it claims, or records not consecutive inside it).

A start walks from the group its snapshot was taken in (or from the first row) to the end: every row
whose commands it replays, bounded however long the journal; ``krakensim verify`` walks them all.
Rows written by earlier releases have no chain: they are checked for continuity and decoded, and
then given one (``unchained``); from then on they are protected like the others. The chain is a
check against accidents and hand edits, not against an adversary (it has no secret: someone who
rewrites a row and every chain after it goes undetected), and deleting groups from the end is
indistinguishable from a crash before they were written (unless a snapshot was taken after them).
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import msgspec

Record = tuple[int, int, msgspec.Raw]  # seq, time (epoch ms), the command's JSON as it was written
_GROUP = msgspec.json.Decoder(list[Record])
SQLITE_HEADER = b"SQLite format 3\x00"

WHAT_TO_DO = ("Nothing was started. Restore the file from a backup, or start a new exchange with another "
              "--data path; `krakensim verify --data {path}` shows what is intact.")


class JournalError(Exception):
    """The journal cannot be used as it is; the message names the file, the seq and what to do."""


def genesis(seed: str | None) -> bytes:
    """What the first row chains from: the journal's seed (as stored in its meta table)."""
    return hashlib.sha256(b"krakensim journal\x00seed=" + (seed or "").encode()).digest()


def link(prev: bytes, first: int, last: int, blob: bytes) -> bytes:
    """The chain value of a row, from the previous row's."""
    h = hashlib.sha256(prev)
    h.update(b"%d:%d:" % (first, last))
    h.update(blob)
    return h.digest()


def unpack(blob: bytes) -> list[Record]:
    return _GROUP.decode(blob if blob[:1] == b"[" else zlib.decompress(blob))


def check_group(path: str, first: int, last: int, blob: bytes) -> list[Record]:
    """The group's records, or ``JournalError`` if they are not ``first``..``last`` in order."""
    try:
        records = unpack(blob)
    except (zlib.error, msgspec.DecodeError, msgspec.ValidationError) as e:
        raise JournalError(f"journal {path}: the group of commands {first}-{last} cannot be read ({e}). "
                           + WHAT_TO_DO.format(path=path)) from None
    if [r[0] for r in records] != list(range(first, last + 1)):
        seqs = [r[0] for r in records]
        bad = next((s for i, s in enumerate(seqs) if s != first + i), seqs[-1] if seqs else first)
        raise JournalError(f"journal {path}: the group of commands {first}-{last} holds seq {bad} out of order "
                           f"(or a wrong number of records). " + WHAT_TO_DO.format(path=path))
    return records


@dataclass
class Scan:
    """What a check found: the journal's extent and the head of its chain."""

    groups: int = 0
    first_seq: int = 0
    last_seq: int = 0
    head: bytes = b""
    # rows that had no chain (earlier releases) and the chain computed for them: (last_seq, chain)
    unchained: list[tuple[int, bytes]] = field(default_factory=list)


class Walk:
    """Rows in order, each checked against the one before: continuity, then the chain.

    ``chained``: every row must have a chain (the file says it was chained all through); otherwise a
    row without one is an earlier release's, and gets the chain computed here (``unchained``)."""

    def __init__(self, path: str, head: bytes, prev_last: int, chained: bool) -> None:
        self.path, self.chained = path, chained
        self.scan = Scan(head=head, last_seq=prev_last)

    def row(self, last: int, first: int, blob: bytes, chain: bytes | None) -> None:
        path, out = self.path, self.scan
        prev_last = out.last_seq
        if first != prev_last + 1:
            missing = f"{prev_last + 1}-{first - 1}" if first > prev_last + 1 else f"{first}-{prev_last}"
            how = "are missing" if first > prev_last + 1 else "appear twice"
            raise JournalError(f"journal {path}: commands {missing} {how} (the group after seq {prev_last} starts "
                               f"at {first}): a group was deleted or the file was edited. "
                               + WHAT_TO_DO.format(path=path))
        if last < first:
            raise JournalError(f"journal {path}: the group ending at seq {last} starts after it ({first}). "
                               + WHAT_TO_DO.format(path=path))
        out.head = link(out.head, first, last, blob)
        if chain is None:
            if self.chained:
                raise JournalError(f"journal {path}: the group of commands {first}-{last} has no checksum although "
                                   "the file was chained all through (its checksum was removed, or an older "
                                   "release wrote to it). " + WHAT_TO_DO.format(path=path))
            out.unchained.append((last, out.head))
        elif chain != out.head:
            raise JournalError(f"journal {path}: the group of commands {first}-{last} does not match its checksum: "
                               f"it (or an earlier group, or the seed) was changed after it was written. "
                               + WHAT_TO_DO.format(path=path))
        if out.groups == 0:
            out.first_seq = first
        out.groups += 1
        out.last_seq = last


def rows(db: sqlite3.Connection, from_last_seq: int = 0) -> Iterator[tuple[int, int, bytes, bytes | None]]:
    """(last_seq, first_seq, records, chain) of the rows from the one ending at ``from_last_seq`` on."""
    chain_column = "CAST(chain AS BLOB)" if "chain" in tables(db)["journal"] else "NULL"  # earlier releases: none
    # CASTs: a hand edit may have left text (or a text number) where the writer put bytes (or an integer)
    yield from db.execute(f"SELECT last_seq, CAST(first_seq AS INTEGER), CAST(records AS BLOB), {chain_column} "
                          "FROM journal WHERE last_seq >= ? ORDER BY last_seq", (from_last_seq,))


def scan(db: sqlite3.Connection, path: str, seed: str | None, chained: bool = False, decode_all: bool = False,
         on_record: Callable[[int, int, bytes], None] | None = None) -> Scan:
    """Check every row from the first (and decode the unchained ones, or all with ``decode_all``, handing
    each record to ``on_record``); ``JournalError`` at the first row that does not follow."""
    walk = Walk(path, genesis(seed), 0, chained)
    for last, first, blob, chain in rows(db):
        walk.row(last, first, blob, chain)
        if decode_all or chain is None:
            records = check_group(path, first, last, blob)
            if on_record is not None:
                for seq, ts, body in records:
                    on_record(seq, ts, bytes(body))
    return walk.scan


def classify(path: str) -> str:
    """``missing``, ``empty`` (0 bytes), ``sqlite`` or ``foreign`` (anything else)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        return "foreign"
    if not head:
        return "empty"
    return "sqlite" if head == SQLITE_HEADER else "foreign"


def tables(db: sqlite3.Connection) -> dict[str, set[str]]:
    """The database's tables and their columns."""
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {n: {r[1] for r in db.execute(f"PRAGMA table_info({n!r})")} for n in names}


def is_journal(schema: dict[str, set[str]]) -> bool:
    """Does this database hold a krakensim journal (any release's)?"""
    return {"last_seq", "first_seq", "records"} <= schema.get("journal", set()) and "meta" in schema
