"""The journal proves itself: continuity and the hash chain are checked on open; a gap, an edit, an
undecodable record, a damaged, empty or foreign file stops with a message naming the seq, never a
traceback; journals of earlier releases (no chain) are checked and chained once."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest

from krakensim.engine.commands import CODEC, CreateAccount, Tick
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.store.integrity import JournalError, genesis, link
from krakensim.store.journal import Journal
from krakensim.store.verify import inspect

T0 = 1_700_000_000_000
LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_journal" / "journal.sqlite"
TICK = CODEC.encode(Tick())


def write(path: Path, groups: list[int], seed: int | None = 3) -> None:
    """A journal of ``sum(groups)`` commands in groups of the given sizes (one large, compressed)."""
    j = Journal(str(path), seed=seed)
    seq = 0
    for size in groups:
        j.append_many([Journal.frame(s, T0 + s, TICK) for s in range(seq + 1, seq + size + 1)])
        seq += size
    j.close()


def edit(path: Path, sql: str, *args: object) -> None:
    db = sqlite3.connect(path)
    db.execute(sql, args)
    db.commit()
    db.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, *words: str, **kw: bool) -> str:
    """Opening and replaying the whole journal (a start without a snapshot) fails with these words."""
    with pytest.raises(JournalError) as e:
        list(Journal(str(path), **kw).replay())  # type: ignore[arg-type]
    message = str(e.value)
    for w in words:
        assert w in message, message
    return message


GROUPS = [1, 2, 5, 3, 400, 1]  # seqs 1, 2-3, 4-8, 9-11, 12-411 (compressed), 412


def test_every_row_is_chained_and_a_reopen_checks_it(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    db = sqlite3.connect(path)
    rows = db.execute("SELECT first_seq, last_seq, records, chain FROM journal ORDER BY last_seq").fetchall()
    head = genesis("3")
    for first, last, blob, chain in rows:
        head = link(head, first, last, blob)
        assert chain == head
    assert any(blob[:1] != b"[" for _, _, blob, _ in rows)  # the big group is stored compressed
    j = Journal(str(path))
    assert j.seq == 412 and j.head == head and j.adopted is None
    assert [s for s, _, _ in j.replay()] == list(range(1, 413))


def test_a_deleted_group_is_a_gap(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    edit(path, "DELETE FROM journal WHERE last_seq = 8")
    before = digest(path)
    message = refused(path, "commands 4-8 are missing", "after seq 3", "krakensim verify")
    assert "Traceback" not in message
    assert digest(path) == before  # refused without writing


def test_a_deleted_first_group_is_a_gap(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    edit(path, "DELETE FROM journal WHERE last_seq = 1")
    refused(path, "commands 1-1 are missing")


def test_an_edited_record_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    edit(path, "UPDATE journal SET records = replace(records, ?, ?) WHERE last_seq = 11",
         str(T0 + 10).encode(), str(T0 + 99).encode())  # one record's time, same length
    refused(path, "commands 9-11 does not match its checksum")


def test_an_edited_compressed_group_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    db = sqlite3.connect(path)
    blob = db.execute("SELECT records FROM journal WHERE last_seq = 411").fetchone()[0]
    db.close()
    text = zlib.decompress(blob).replace(b"[300,", b"[300,1", 1)  # still framed, the time changed
    edit(path, "UPDATE journal SET records = ? WHERE last_seq = 411", zlib.compress(text))
    refused(path, "commands 12-411 does not match its checksum")


def test_renumbered_groups_are_caught(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    # the last group deleted and the one before stretched over it: continuous, but not what was written
    edit(path, "DELETE FROM journal WHERE last_seq = 412")
    edit(path, "UPDATE journal SET last_seq = 412 WHERE last_seq = 411")
    refused(path, "commands 12-412 does not match its checksum")


def test_an_edited_seed_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    edit(path, "UPDATE meta SET value = '4' WHERE key = 'seed'")  # every id would shift
    refused(path, "commands 1-1 does not match its checksum", "or the seed")


def test_deleting_the_tail_after_a_snapshot_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    j = Journal(str(path))
    j.write_snapshot(412, "tag", b"state")
    j.close()
    edit(path, "DELETE FROM journal WHERE last_seq > 11")
    refused(path, "ends at seq 11 but a snapshot was taken after seq 412")


def test_a_start_after_a_snapshot_checks_from_the_group_it_was_taken_in(tmp_path: Path) -> None:
    """Bounded: the rows before the snapshot's group are not read (the snapshot holds their effect);
    from that group to the end every row is checked. A full replay, and verify, check them all."""
    path = tmp_path / "j.sqlite"
    write(path, GROUPS)
    pristine = path.read_bytes()
    j = Journal(str(path))
    assert [s for s, _, _ in j.replay(6)] == list(range(7, 413))  # from inside the group 4-8
    j.close()
    for edited, caught_after_6 in ((11, True), (8, True), (3, False)):
        path.write_bytes(pristine)
        edit(path, "UPDATE journal SET records = CAST(replace(records, ?, ?) AS BLOB) WHERE last_seq = ?",
             b",17000000000", b",17000000070", edited)  # the times: same length, still framed
        assert path.read_bytes() != pristine
        j = Journal(str(path))
        if caught_after_6:
            with pytest.raises(JournalError, match="does not match its checksum"):
                list(j.replay(6))
        else:
            assert [s for s, _, _ in j.replay(6)] == list(range(7, 413))  # before the snapshot's group
        with pytest.raises(JournalError, match="does not match its checksum"):
            list(j.replay())
        j.close()
        with pytest.raises(JournalError, match="does not match its checksum"):
            inspect(str(path), lambda seq, ts, body: None)


def test_a_damaged_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, [200] * 40)  # several pages
    size = path.stat().st_size
    assert size > 8 * 4096
    with open(path, "r+b") as f:  # overwrite pages in the middle: b-tree pages no longer parse
        f.seek(4096 * 3)
        f.write(b"\xa5" * 4096 * 3)
    refused(path, "is damaged", "SQLite", "backup")


def test_a_truncated_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    write(path, [200] * 40)
    with open(path, "r+b") as f:
        f.truncate(4096 * 4)
    refused(path, "is damaged")


def test_an_empty_file_is_refused_unless_init(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"")
    refused(path, "is empty (0 bytes)", "--init")
    assert path.stat().st_size == 0  # untouched
    j = Journal(str(path), seed=9, init=True)
    assert j.seq == 0 and j.seed == 9
    j.close()
    write(path, [2])  # and it is a journal now
    assert Journal(str(path)).seq == 2


def test_an_empty_sqlite_database_is_refused_unless_init(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version = 1").connection.close()  # a header, no tables
    assert path.stat().st_size > 0
    refused(path, "empty SQLite database", "--init")
    assert Journal(str(path), init=True).seq == 0


def test_a_file_that_lost_its_main_part_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"")
    Path(str(path) + "-wal").write_bytes(b"frames")
    refused(path, "write-ahead log", init=True)


@pytest.mark.parametrize("content", [b"hello, world\n", b"\x00" * 100])
def test_a_foreign_file_is_never_overwritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "j.sqlite"
    path.write_bytes(content)
    refused(path, "not a krakensim journal", "another path")
    refused(path, "not a krakensim journal", init=True)
    assert path.read_bytes() == content


def test_another_programs_database_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    db.commit()
    db.close()
    before = digest(path)
    refused(path, "not a krakensim journal", "customers", init=True)
    assert digest(path) == before


def test_a_missing_path_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    j = Journal(str(path), seed=4)
    assert j.seq == 0 and j.seed == 4 and j.get_meta("format") == "krakensim-journal 2"
    assert not list(tmp_path.glob("*.new-*"))  # made aside and renamed into place


def test_an_undecodable_command_stops_the_replay_with_its_seq(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(str(path), seed=5)
    j.append_many([Journal.frame(1, T0, CODEC.encode(CreateAccount(1)))])
    j.append_many([Journal.frame(2, T0, b'{"c":"no-such-command"}')])  # chained: only the replay can tell
    j.close()
    rt = Runtime(seed=5, journal=Journal(str(path)), clock=ManualClock(T0))
    with pytest.raises(JournalError, match="command 2 is not one this krakensim knows"):
        rt.replay()


def test_records_out_of_order_inside_a_group_stop_the_replay(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(str(path), seed=5)
    j.append_many([Journal.frame(1, T0, TICK), Journal.frame(3, T0, TICK)])  # the writer never does this
    j.close()
    with pytest.raises(JournalError, match="commands 1-3 holds seq 3 out of order"):
        list(Journal(str(path)).replay())


# ---------------------------------------------------------------------------- journals of earlier releases
def legacy_copy(tmp_path: Path) -> Path:
    path = tmp_path / "legacy.sqlite"
    shutil.copyfile(LEGACY, path)
    return path


def test_a_journal_of_an_earlier_release_is_checked_and_chained_once(tmp_path: Path) -> None:
    path = legacy_copy(tmp_path)
    j = Journal(str(path))
    assert j.adopted == (1190, 19294) and j.seq == 19294
    head = j.head
    j.close()
    again = Journal(str(path))
    assert again.adopted is None and again.head == head  # chained for good
    again.close()
    # from then on an edit of an old row is caught like any other
    db = sqlite3.connect(path)
    blob = db.execute("SELECT records FROM journal WHERE last_seq = 5").fetchone()[0]
    db.close()
    edit(path, "UPDATE journal SET records = ? WHERE last_seq = 5", blob.replace(b"[", b"[ ", 1))
    refused(path, "does not match its checksum")


def test_a_gap_in_a_journal_of_an_earlier_release_is_refused_untouched(tmp_path: Path) -> None:
    path = legacy_copy(tmp_path)
    db = sqlite3.connect(path)
    first, last = db.execute("SELECT first_seq, last_seq FROM journal ORDER BY last_seq LIMIT 1 OFFSET 500").fetchone()
    db.execute("DELETE FROM journal WHERE last_seq = ?", (last,))
    db.commit()
    db.close()
    before = digest(path)
    refused(path, f"commands {first}-{last} are missing")
    assert digest(path) == before
    cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(journal)")]
    assert "chain" not in cols  # not even the schema was touched


def test_an_unreadable_row_of_an_earlier_release_is_refused(tmp_path: Path) -> None:
    path = legacy_copy(tmp_path)
    edit(path, "UPDATE journal SET records = ? WHERE last_seq = (SELECT min(last_seq) FROM journal)",
         b"[[1,2,{]]")
    refused(path, "cannot be read")


# ---------------------------------------------------------------------------- snapshots
def run_some(path: Path) -> Runtime:
    rt = Runtime(seed=5, journal=Journal(str(path), seed=5), clock=ManualClock(T0))

    async def go() -> None:
        await rt.start()
        for _ in range(5):
            await rt.submit(CreateAccount(10))
        await rt.stop()  # writes the final snapshot

    asyncio.run(go())
    return rt


def test_a_damaged_snapshot_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    rt = run_some(path)
    edit(path, "UPDATE snapshots SET state = substr(state, 1, length(state) - 1) || x'00'")
    again = Runtime(seed=5, journal=Journal(str(path)), clock=ManualClock(T0))
    assert again.replay() == rt.seq
    assert again.journal is not None and again.journal.snapshot_problem is not None
    assert "damaged" in again.journal.snapshot_problem
    assert again.exchange.digest() == rt.exchange.digest()


def test_a_snapshot_of_another_journal_is_ignored(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    rt = run_some(a)
    other = Runtime(seed=5, journal=Journal(str(b), seed=5), clock=ManualClock(T0 + 1))  # other times

    async def go() -> None:
        await other.start()
        for _ in range(5):
            await other.submit(CreateAccount(20))  # same seqs, other commands
        await other.stop()

    asyncio.run(go())
    db = sqlite3.connect(b)
    row = db.execute("SELECT seq, tag, state, head, digest FROM snapshots").fetchone()
    db.close()
    db = sqlite3.connect(a)
    db.execute("DELETE FROM snapshots")
    db.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)", row)  # b's snapshot put into a
    db.commit()
    db.close()
    again = Runtime(seed=5, journal=Journal(str(a)), clock=ManualClock(T0))
    assert again.replay() == rt.seq  # a's own commands, not b's state
    assert again.journal is not None and "not taken on this journal" in (again.journal.snapshot_problem or "")
    assert again.exchange.digest() == rt.exchange.digest()
