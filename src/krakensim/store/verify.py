"""Checking a journal file read-only (``krakensim verify``): what a start checks, and more.

The same scan a start makes (store/integrity.py), but every group decoded and every record handed
to the caller (who decodes the command), plus SQLite's own ``integrity_check``. Nothing is written
and no lock is taken: a running server's journal can be checked (WAL readers see a consistent state).
Rows of earlier releases have no chain: they are checked for continuity and decoding only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .integrity import JournalError, Scan, classify, is_journal, scan, tables


@dataclass
class Report:
    scan: Scan
    first_ts: int | None
    last_ts: int | None
    snapshot_seq: int | None
    format: str | None  # meta "format"; None for a journal no release with the chain has opened yet


def inspect(path: str, on_record: Callable[[int, int, bytes], None]) -> Report:
    """Check the journal at ``path``; ``JournalError`` at the first problem."""
    kind = classify(path)
    if kind == "missing":
        raise JournalError(f"{path} does not exist")
    if kind == "empty":
        raise JournalError(f"{path} is empty (0 bytes): not a krakensim journal")
    if kind == "foreign":
        raise JournalError(f"{path} is not a krakensim journal (not a SQLite database)")
    try:
        db = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.DatabaseError as e:
        raise JournalError(f"{path} cannot be opened ({e})") from None
    try:
        return _inspect(db, path, on_record)
    except sqlite3.DatabaseError as e:
        raise JournalError(f"journal {path} is damaged (SQLite: {e})") from None
    finally:
        db.close()


def _inspect(db: sqlite3.Connection, path: str, on_record: Callable[[int, int, bytes], None]) -> Report:
    schema = tables(db)
    if not is_journal(schema):
        what = f"tables: {', '.join(sorted(schema))}" if schema else "it has no tables"
        raise JournalError(f"{path} is a SQLite database but not a krakensim journal ({what})")
    problems = [str(r[0]) for r in db.execute("PRAGMA integrity_check(10)")]
    if problems != ["ok"]:
        raise JournalError(f"journal {path} is damaged (SQLite integrity check: {'; '.join(problems)})")
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    times: list[int] = []

    def record(seq: int, ts: int, body: bytes) -> None:
        if not times:
            times.append(ts)
        on_record(seq, ts, body)
        last[0] = ts

    last: list[int | None] = [None]
    found = scan(db, path, meta.get("seed"), chained=meta.get("chained") == "1", decode_all=True, on_record=record)
    snap = db.execute("SELECT max(seq) FROM snapshots").fetchone()[0] if "snapshots" in schema else None
    if snap is not None and snap > found.last_seq:
        raise JournalError(f"journal {path} ends at seq {found.last_seq} but a snapshot was taken after seq {snap}: "
                           f"the groups after {found.last_seq} were deleted")
    return Report(found, times[0] if times else None, last[0], snap, meta.get("format"))
