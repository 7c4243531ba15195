"""Snapshots: the whole state after a journaled command, so that a restart replays only the rest.

A snapshot is an optimisation (the journal keeps every command) and is loaded only by the
code and configuration that wrote it (``tag``). While the server runs, a forked child pickles a
copy-on-write image (seconds for a big state) and writes it only once the parent says every
command in it is durable.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import hashlib
import io
import os
import pickle
import signal
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..engine import Exchange
from .keys import KeyStore


def _find_prctl() -> Callable[..., int] | None:
    """Linux's prctl, looked up once here: loading a library in a forked child of a threaded process
    can deadlock."""
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None
    return prctl


_PRCTL = _find_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """In the snapshot child: be killed when the server dies (its snapshot is worthless then, and it
    must not compete with the restart for the CPU)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)


def code_tag() -> str:
    """A hash of krakensim's source: a snapshot is only loaded by the code that wrote it."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:32]


def dump(state: object) -> bytes:
    return zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 1)


class _Inflating(io.RawIOBase):
    """A compressed snapshot read as a file, inflated a chunk at a time as pickle asks for it: the
    whole uncompressed pickle (several times the blob) is never in memory beside the state it makes."""

    CHUNK = 1 << 18  # compressed bytes inflated at a time (a few MB out)

    def __init__(self, blob: bytes) -> None:
        self.blob, self.at, self.inflate = memoryview(blob), 0, zlib.decompressobj()
        self.pending, self.used = b"", 0  # inflated bytes not yet read: pending[used:]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io gives a memoryview
        while self.used == len(self.pending):
            if self.at >= len(self.blob):
                self.pending, self.used = self.inflate.flush(), 0
                if not self.pending:
                    return 0  # the end
                break
            self.pending, self.used = self.inflate.decompress(self.blob[self.at: self.at + self.CHUNK]), 0
            self.at += self.CHUNK
        n = min(len(buffer), len(self.pending) - self.used)
        buffer[:n] = self.pending[self.used: self.used + n]
        self.used += n
        return n


def load(blob: bytes) -> object:
    return pickle.load(io.BufferedReader(_Inflating(blob), 1 << 20))


def load_state(blob: bytes) -> tuple[Exchange, KeyStore, dict[str, Any]]:
    """A snapshot of the runtime's state: its exchange, its keys and the settings changed through the
    control API (none in a snapshot of an earlier release, which held only the first two)."""
    state = load(blob)
    if not isinstance(state, tuple) or len(state) not in (2, 3):
        raise TypeError("not a snapshot of an exchange and its keys")
    exchange: object = state[0]
    keys: object = state[1]
    overrides: object = state[2] if len(state) == 3 else {}
    if not isinstance(exchange, Exchange) or not isinstance(keys, KeyStore) or not isinstance(overrides, dict):
        raise TypeError("not a snapshot of an exchange and its keys")
    return exchange, keys, overrides


async def dump_when_durable(state: object, path_prefix: str, durable: Callable[[], Awaitable[None]]) -> bytes:
    """The compressed pickle of ``state`` as it is now, returned once ``durable()`` has returned.

    With ``fork`` a child pickles while the caller goes on (the state may change meanwhile: the
    child has its own copy); without it, the state is pickled here before anything else runs.
    """
    loop = asyncio.get_running_loop()
    if not hasattr(os, "fork"):
        blob = dump(state)  # no await in between: the state is exactly what it is now
        await durable()
        return blob
    tmp = f"{path_prefix}.snapshot-{os.getpid()}-{id(state)}"
    parent = os.getpid()
    r, w = os.pipe()
    gc.freeze()  # the collector must not touch (and so copy) every page in the child
    try:
        pid = os.fork()
    finally:
        gc.unfreeze()
    if pid == 0:  # the child: pickle, wait for the word, write, and leave without cleaning up
        code = 1
        try:
            _die_with(parent)
            os.close(w)
            # nothing inherited stays open in the child (the listening socket, the journal, its lock): a
            # child outliving a killed server must not keep its port or its files busy
            os.closerange(3, r)
            os.closerange(r + 1, os.sysconf("SC_OPEN_MAX"))
            data = dump(state)
            if os.read(r, 1) == b"1":
                with open(tmp, "wb") as f:
                    f.write(data)
                code = 0
        finally:
            os._exit(code)
    os.close(r)
    status = -1
    try:
        try:
            await durable()
            os.write(w, b"1")
        except BaseException:
            os.kill(pid, signal.SIGKILL)  # no longer wanted (shut-down, or the journal failed): do not wait for it
            raise
        finally:
            os.close(w)  # without the word the child leaves without writing
            _, status = await asyncio.shield(loop.run_in_executor(None, os.waitpid, pid, 0))
        if status != 0:
            raise RuntimeError(f"the snapshot child failed (status {status})")
        with open(tmp, "rb") as f:
            return f.read()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
