"""``krakensim verify``: check a journal file and say what it holds, without starting anything."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from ..runtime.core import CODEC
from ..store.integrity import JournalError
from ..store.verify import inspect


def _time(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def verify_journal(path: str) -> tuple[bool, list[str]]:
    """(intact?, the lines to print)."""

    def decodes(seq: int, ts: int, body: bytes) -> None:
        try:
            CODEC.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise JournalError(f"journal {path}: command {seq} is not one this krakensim knows ({e})") from None

    try:
        report = inspect(path, decodes)
    except JournalError as e:
        return False, [f"journal: {path}", f"NOT INTACT: {e}"]
    found = report.scan
    chained = found.groups - len(found.unchained)
    lines = [
        f"journal: {path}",
        f"commands: {found.last_seq - found.first_seq + 1 if found.groups else 0} "
        f"(seq {found.first_seq}-{found.last_seq}) in {found.groups} groups",
        f"time: {_time(report.first_ts)} to {_time(report.last_ts)}",
        f"chain head: {found.head.hex()} ({chained} groups with a checksum, {len(found.unchained)} without: "
        + ("written by an earlier release, checked for sequence and records only)"
           if found.unchained else "all of them)"),
        f"snapshot: after seq {report.snapshot_seq}" if report.snapshot_seq is not None else "snapshot: none",
        "intact: sequence continuous, checksums match, every record decodes, SQLite integrity ok",
    ]
    return True, lines
