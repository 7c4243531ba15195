"""The SQLite journal: every accepted command, with the time the engine gave it.

WAL mode with ``synchronous=FULL``: a transaction is on disk when ``commit`` returns.
Commands are appended in groups by a single writer: one transaction and one row per group,
the row holding the group's records ``[seq, ts, cmd]`` as one JSON array (so the writer
thread does one insert, not one per command, and holds the GIL as little as possible).
A large group (a simulated market's step) is stored zlib-compressed (about 9× smaller).

Snapshots: the whole state after command ``seq``, so that a restart replays only what
came after it. A snapshot is an optimisation: the journal keeps every command, and a
snapshot written by other code (``tag``) is ignored.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator

import msgspec

COMPRESS_FROM = 4096  # bytes: smaller groups are stored as they are

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    last_seq INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    records BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY,
    tag TEXT NOT NULL,
    state BLOB NOT NULL
);
"""


Record = tuple[int, int, msgspec.Raw]  # seq, time (epoch ms), the command's JSON as it was written
_GROUP = msgspec.json.Decoder(list[Record])


def _unpack(blob: bytes) -> list[Record]:
    return _GROUP.decode(blob if blob[:1] == b"[" else zlib.decompress(blob))


def _seq(record: bytes) -> int:
    """The sequence number a framed record starts with (``[seq,ts,{…}]``)."""
    return int(record[1:record.index(b",")])


class Journal:
    def __init__(self, path: str, synchronous: str = "FULL") -> None:
        self.path = path
        # check_same_thread=False: the runtime commits from one writer thread at a time
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT max(last_seq) FROM journal").fetchone()
        self.seq: int = row[0] or 0
        self.commits = 0  # transactions written by this process (group commit makes it < records)

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @staticmethod
    def frame(seq: int, ts: int, body: bytes) -> bytes:
        """One record: the command's JSON ``body`` with its sequence number and time."""
        return b"[%d,%d,%s]" % (seq, ts, body)

    def append_many(self, records: list[bytes]) -> None:
        """Write a group of records (from ``frame``) in one transaction; durable on return."""
        first = _seq(records[0])
        last = _seq(records[-1])
        blob = b"[" + b",".join(records) + b"]"
        if len(blob) >= COMPRESS_FROM:
            blob = zlib.compress(blob, 1)
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT INTO journal(last_seq, first_seq, records) VALUES (?, ?, ?)", (last, first, blob))
            db.execute("COMMIT")
            self.commits += 1
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def replay(self, after: int = 0) -> Iterator[tuple[int, int, bytes]]:
        """Every journaled command after ``after`` as (seq, time, JSON), in order (a snapshot may fall
        inside a group)."""
        rows = self.db.execute("SELECT records FROM journal WHERE last_seq > ? ORDER BY last_seq", (after,))
        for (blob,) in rows:
            yield from ((seq, ts, bytes(cmd)) for seq, ts, cmd in _unpack(blob) if seq > after)

    def last_ts(self) -> int | None:
        row = self.db.execute("SELECT records FROM journal ORDER BY last_seq DESC LIMIT 1").fetchone()
        return None if row is None else _unpack(row[0])[-1][1]

    # ------------------------------------------------------------------ snapshots
    def write_snapshot(self, seq: int, tag: str, state: bytes) -> None:
        """Keep ``state`` as the state after command ``seq`` (older snapshots are dropped)."""
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT OR REPLACE INTO snapshots(seq, tag, state) VALUES (?, ?, ?)", (seq, tag, state))
            db.execute("DELETE FROM snapshots WHERE seq < ?", (seq,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def latest_snapshot(self, tag: str) -> tuple[int, bytes] | None:
        """The newest snapshot written with ``tag`` and not beyond the journal, if any."""
        row = self.db.execute(
            "SELECT seq, state FROM snapshots WHERE tag = ? AND seq <= ? ORDER BY seq DESC LIMIT 1", (tag, self.seq)
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def close(self) -> None:
        self.db.close()
