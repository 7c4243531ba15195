"""The SQLite journal: every accepted command, with the time the engine gave it.

WAL mode with ``synchronous=FULL``: a transaction is on disk when ``commit`` returns.
Commands are appended in groups by a single writer: one transaction and one row per group,
the row holding the group's records ``[seq, ts, cmd]`` as one JSON array (so the writer
thread does one insert, not one per command, and holds the GIL as little as possible).
A large group (a simulated market's step) is stored zlib-compressed (about 9× smaller).
Each row also stores ``chain``, a hash chain over the groups (store/integrity.py): opening a
journal checks every row's continuity and chain, and refuses a file that does not prove itself.

Snapshots: the whole state after command ``seq``, so that a restart replays only what
came after it. A snapshot is an optimisation: the journal keeps every command, and a
snapshot written by other code (``tag``), damaged (``digest``) or not taken on this very
journal (``head``, the chain of the group it was taken in) is ignored.

Only one process may hold a journal open for writing: the caller takes ``store.lock.DataLock``
before it opens one.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import zlib
from collections.abc import Iterator

from .integrity import (
    WHAT_TO_DO,
    JournalError,
    Record,
    Walk,
    check_group,
    classify,
    genesis,
    is_journal,
    link,
    rows,
    scan,
    tables,
    unpack,
)

__all__ = ["COMPRESS_FROM", "FORMAT", "Journal", "JournalError", "Record"]

COMPRESS_FROM = 4096  # bytes: smaller groups are stored as they are
FORMAT = "krakensim-journal 2"  # meta "format"; files of earlier releases have none (and no chain)
CHAINED = "chained"  # meta: "1" once every row has its chain (new files, and earlier ones once checked)

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    last_seq INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    records BLOB NOT NULL,
    chain BLOB
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY,
    tag TEXT NOT NULL,
    state BLOB NOT NULL,
    head BLOB,
    digest BLOB
);
"""


def _seq(record: bytes) -> int:
    """The sequence number a framed record starts with (``[seq,ts,{…}]``)."""
    return int(record[1:record.index(b",")])


def _damaged(path: str, e: sqlite3.DatabaseError) -> JournalError:
    return JournalError(f"journal {path} is damaged (SQLite: {e}). " + WHAT_TO_DO.format(path=path))


class Journal:
    def __init__(self, path: str, synchronous: str = "FULL", *, seed: int | None = None, init: bool = False) -> None:
        """Open the journal at ``path`` (created if it does not exist, with ``seed``) and check it.

        An empty file (0 bytes, or a SQLite database without tables) is refused unless ``init``; a
        file that is not a krakensim journal is always refused; one that does not prove itself
        (store/integrity.py) too. Raises ``JournalError`` with a message for the operator."""
        self.path = path
        self.commits = 0  # transactions written by this process (group commit makes it < records)
        self.adopted: tuple[int, int] | None = None  # (groups, last seq) chained here for the first time
        self.snapshot_problem: str | None = None  # why the latest snapshot was not usable, if it was not
        try:
            self.db = self._open(path, synchronous, seed, init)
            self.seq, self.head = self._check(seed)
        except sqlite3.DatabaseError as e:
            raise _damaged(path, e) from None

    # ------------------------------------------------------------------ opening
    def _open(self, path: str, synchronous: str, seed: int | None, init: bool) -> sqlite3.Connection:
        kind = classify(path)
        if kind == "foreign":
            raise JournalError(f"{path} is not a krakensim journal (not a SQLite database), and krakensim never "
                               "overwrites a file it did not write: give --data another path.")
        wal = path + "-wal"
        if kind in ("missing", "empty") and os.path.exists(wal) and os.path.getsize(wal) > 0:
            raise JournalError(f"{path} is {'missing' if kind == 'missing' else 'empty'} but its write-ahead log "
                               f"{wal} is not: the journal lost its main file. " + WHAT_TO_DO.format(path=path))
        if kind == "empty" and not init:
            raise JournalError(f"{path} is empty (0 bytes), not a krakensim journal. If it should hold your "
                               "exchange, restore it from a backup; to start a new exchange in it, add --init.")
        if kind in ("missing", "empty"):
            _create(path, seed)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            schema = tables(db)
            if not schema:
                if not init:
                    raise JournalError(f"{path} is an empty SQLite database, not a krakensim journal. To start a "
                                       "new exchange in it, add --init.")
                db.executescript(SCHEMA)
                _set_new(db, seed)
            elif not is_journal(schema):
                raise JournalError(f"{path} is a SQLite database but not a krakensim journal (tables: "
                                   f"{', '.join(sorted(schema))}), and krakensim never writes into a database it "
                                   "did not make: give --data another path.")
            # check_same_thread=False: the runtime commits from one writer thread at a time
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={synchronous}")
        except BaseException:
            db.close()
            raise
        return db

    def _check(self, seed: int | None) -> tuple[int, bytes]:
        """The last seq and the chain of the last row (the next row links to it).

        A file of an earlier release (not ``chained`` all through yet) is checked row by row first
        (integrity.scan: continuity, and every row decoded), then brought to this release's schema and
        chained, once; nothing is written to a file refused. Any file: a snapshot beyond its end means
        groups were deleted from the end. The chain of a chained file is checked by ``replay``, from
        the group the snapshot was taken in (or from the first) to the end."""
        db = self.db
        schema = tables(db)
        last = int(db.execute("SELECT coalesce(max(last_seq), 0) FROM journal").fetchone()[0])
        if "snapshots" in schema:
            snap = db.execute("SELECT max(seq) FROM snapshots").fetchone()[0]
            if snap is not None and snap > last:
                raise JournalError(f"journal {self.path} ends at seq {last} but a snapshot was taken after seq "
                                   f"{snap}: the groups after {last} were deleted. " + WHAT_TO_DO.format(path=self.path))
        if self.get_meta(CHAINED) == "1":
            _migrate(db, schema)
            if last == 0:
                if seed is not None and self.get_meta("seed") is None:
                    self.set_meta("seed", str(seed))  # kept before the first command: the chain starts from it
                return 0, genesis(self.get_meta("seed"))
            row = db.execute("SELECT CAST(chain AS BLOB) FROM journal WHERE last_seq = ?", (last,)).fetchone()
            return last, row[0] if row[0] is not None else b""  # (no chain: replay will say so)
        found = scan(db, self.path, self.get_meta("seed"))
        _migrate(db, schema)
        db.execute("BEGIN")
        try:
            db.executemany("UPDATE journal SET chain = ? WHERE last_seq = ?",
                           [(chain, row_last) for row_last, chain in found.unchained])
            if self.get_meta("seed") is None and seed is not None and found.last_seq == 0:
                db.execute("INSERT INTO meta(key, value) VALUES ('seed', ?)", (str(seed),))
                found.head = genesis(str(seed))  # kept before the first command: the chain starts from it
            for key, value in (("format", FORMAT), (CHAINED, "1")):
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if found.unchained:
            self.adopted = (len(found.unchained), found.unchained[-1][0])
        return found.last_seq, found.head

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def seed(self) -> int | None:
        """The seed kept with the journal (set when it was created), if any."""
        stored = self.get_meta("seed")
        return None if stored is None else int(stored)

    # ------------------------------------------------------------------ commands
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
        chain = link(self.head, first, last, blob)
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT INTO journal(last_seq, first_seq, records, chain) VALUES (?, ?, ?, ?)",
                       (last, first, blob, chain))
            db.execute("COMMIT")
            self.commits += 1
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.head = chain
        self.seq = last

    def replay(self, after: int = 0) -> Iterator[tuple[int, int, bytes]]:
        """Every journaled command after ``after`` as (seq, time, JSON), in order (a snapshot may fall
        inside a group). Each row from the one holding ``after`` to the last is checked first
        (continuity, chain, records: integrity.Walk): ``JournalError`` at the first that fails."""
        try:
            db = self.db
            row = db.execute("SELECT min(last_seq) FROM journal WHERE last_seq >= ?", (max(after, 1),)).fetchone()
            if row[0] is None:
                return
            start = int(row[0])
            prev = db.execute("SELECT last_seq, CAST(chain AS BLOB) FROM journal WHERE last_seq < ? "
                              "ORDER BY last_seq DESC LIMIT 1", (start,)).fetchone()
            # the row before is trusted as stored: the prefix is covered by the snapshot (verify checks it all)
            walk = Walk(self.path, genesis(self.get_meta("seed")), 0, chained=True) if prev is None else \
                Walk(self.path, prev[1] or b"", int(prev[0]), chained=True)
            for last, first, blob, chain in rows(db, start):
                walk.row(last, first, blob, chain)
                records = check_group(self.path, first, last, blob)
                yield from ((seq, ts, bytes(cmd)) for seq, ts, cmd in records if seq > after)
        except sqlite3.DatabaseError as e:
            raise _damaged(self.path, e) from None

    def last_ts(self) -> int | None:
        row = self.db.execute("SELECT CAST(records AS BLOB) FROM journal ORDER BY last_seq DESC LIMIT 1").fetchone()
        return None if row is None else unpack(row[0])[-1][1]

    # ------------------------------------------------------------------ snapshots
    def _chain_at(self, seq: int) -> bytes | None:
        """The chain of the group holding command ``seq``."""
        row = self.db.execute("SELECT CAST(chain AS BLOB) FROM journal WHERE last_seq >= ? ORDER BY last_seq LIMIT 1",
                              (seq,)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def write_snapshot(self, seq: int, tag: str, state: bytes) -> None:
        """Keep ``state`` as the state after command ``seq`` (older snapshots are dropped)."""
        head = self._chain_at(seq)
        digest = hashlib.sha256(state).digest()
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT OR REPLACE INTO snapshots(seq, tag, state, head, digest) VALUES (?, ?, ?, ?, ?)",
                       (seq, tag, state, head, digest))
            db.execute("DELETE FROM snapshots WHERE seq < ?", (seq,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def latest_snapshot(self, tag: str) -> tuple[int, bytes] | None:
        """The newest snapshot written with ``tag`` on this journal, intact, if any (else the reason is
        in ``snapshot_problem``)."""
        row = self.db.execute(
            "SELECT seq, CAST(state AS BLOB), CAST(head AS BLOB), CAST(digest AS BLOB) FROM snapshots "
            "WHERE tag = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
            (tag, self.seq)).fetchone()
        if row is None:
            return None
        seq, state = int(row[0]), bytes(row[1])
        if row[3] is None or hashlib.sha256(state).digest() != bytes(row[3]):
            self.snapshot_problem = f"the snapshot after seq {seq} is damaged"
            return None
        if row[2] is None or self._chain_at(seq) != bytes(row[2]):
            self.snapshot_problem = f"the snapshot after seq {seq} was not taken on this journal"
            return None
        return seq, state

    def close(self) -> None:
        self.db.close()


def _set_new(db: sqlite3.Connection, seed: int | None) -> None:
    db.execute("INSERT INTO meta(key, value) VALUES ('format', ?)", (FORMAT,))
    db.execute("INSERT INTO meta(key, value) VALUES (?, '1')", (CHAINED,))
    if seed is not None:
        db.execute("INSERT INTO meta(key, value) VALUES ('seed', ?)", (str(seed),))


def _create(path: str, seed: int | None) -> None:
    """A new, empty journal at ``path``, made under another name and renamed into place (a crash
    never leaves a half-made file where a journal is expected)."""
    tmp = f"{path}.new-{os.getpid()}"
    for leftover in (tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"):
        if os.path.exists(leftover):
            os.unlink(leftover)
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        _set_new(db, seed)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()  # the last connection: SQLite checkpoints and removes tmp-wal
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    d = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(d)
    finally:
        os.close(d)


def _migrate(db: sqlite3.Connection, schema: dict[str, set[str]]) -> None:
    """Bring a journal of an earlier release to this schema (new columns only: it stays readable by them)."""
    if "chain" not in schema["journal"]:
        db.execute("ALTER TABLE journal ADD COLUMN chain BLOB")
    if "snapshots" not in schema:
        db.executescript(SCHEMA)
    else:
        for column in ("head", "digest"):
            if column not in schema["snapshots"]:
                db.execute(f"ALTER TABLE snapshots ADD COLUMN {column} BLOB")
