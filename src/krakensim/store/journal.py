"""The SQLite journal: every accepted command, with the time the engine gave it.

WAL mode with ``synchronous=FULL``: a transaction is on disk when ``commit`` returns.
Commands are appended in groups (one transaction per group) by a single writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    cmd BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class Journal:
    def __init__(self, path: str, synchronous: str = "FULL") -> None:
        self.path = path
        # check_same_thread=False: the runtime commits from one writer thread at a time
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT max(seq) FROM journal").fetchone()
        self.seq: int = row[0] or 0
        self.commits = 0  # transactions written by this process (group commit makes it < records)

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def append_many(self, records: list[tuple[int, int, bytes]]) -> None:
        """Write a group of (seq, ts, cmd) records in one transaction; durable on return."""
        db = self.db
        db.execute("BEGIN")
        try:
            db.executemany("INSERT INTO journal(seq, ts, cmd) VALUES (?, ?, ?)", records)
            db.execute("COMMIT")
            self.commits += 1
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def replay(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        for seq, ts, cmd in self.db.execute("SELECT seq, ts, cmd FROM journal ORDER BY seq"):
            yield seq, ts, orjson.loads(cmd)

    def close(self) -> None:
        self.db.close()
