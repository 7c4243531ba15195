"""One writer per data file: an exclusive lock on ``<journal>.lock``, held for the life of the server.

``flock`` on a file beside the journal rather than SQLite's exclusive locking mode: it is taken
before SQLite opens (so creates, reads or migrates) anything, the kernel drops it when the process
dies however it dies (SIGKILL included), and the refusal can say which process holds it (its pid is
written in the lock file). ``flock`` belongs to the open file, so a second server in the same process
is refused as well; the descriptor is closed in forked children (the snapshot writer) so that an
orphaned child never keeps a crashed server's file locked.
"""

from __future__ import annotations

import fcntl
import os


class DataInUse(Exception):
    """Another process (or server) holds the data file."""


_held: set[int] = set()  # descriptors of the locks this process holds


def _close_in_child() -> None:
    for fd in _held:
        try:
            os.close(fd)  # the child's copy only: the parent's lock stays
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


class DataLock:
    def __init__(self, journal_path: str) -> None:
        self.journal_path = journal_path
        self.path = journal_path + ".lock"
        self._fd: int | None = None

    def acquire(self) -> DataLock:
        """Take the lock or raise ``DataInUse`` at once (never waits)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            by = f" by process {holder}" if holder else ""
            raise DataInUse(
                f"{self.journal_path} is in use{by}: one server per data file "
                "(stop that server first, or give this one another --data path)"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, b"%d\n" % os.getpid())
        self._fd = fd
        _held.add(fd)
        return self

    def release(self) -> None:
        if self._fd is not None:
            _held.discard(self._fd)
            os.close(self._fd)  # closing drops the lock; the file stays (removing it would race)
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
