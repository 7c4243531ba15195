"""The forked snapshot writer keeps nothing of its parent open (the listening socket, the journal, the
data file's lock): a child still pickling when its server is killed must not keep the port or the file
busy for the restart."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from krakensim.runtime import snapshots
from krakensim.store.lock import DataLock


def open_fds(pid: int) -> set[str]:
    fds = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            fds.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass  # closed meanwhile
    return fds


def test_the_snapshot_child_holds_nothing_of_its_parent(tmp_path: Path) -> None:
    lock = DataLock(str(tmp_path / "j.sqlite")).acquire()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = f"socket:[{os.fstat(listener.fileno()).st_ino}]"
    seen: list[set[str]] = []
    children_file = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    before = set(children_file.read_text().split())  # servers other tests left running are not ours

    async def go() -> None:
        go_on = asyncio.Event()

        async def durable() -> None:  # the parent waits for its commands meanwhile: the child is pickling
            await go_on.wait()

        task = asyncio.ensure_future(snapshots.dump_when_durable({"state": 1}, str(tmp_path / "j.sqlite"), durable))
        await asyncio.sleep(0)
        children = [int(c) for c in children_file.read_text().split() if c not in before]
        assert len(children) == 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            fds = open_fds(children[0])
            if held not in fds and lock.path not in fds:
                break
            await asyncio.sleep(0.01)
        seen.append(fds)
        go_on.set()
        assert snapshots.load(await task) == {"state": 1}

    try:
        asyncio.run(go())
    finally:
        listener.close()
        lock.release()
    assert held not in seen[0] and lock.path not in seen[0], seen[0]


SLOW_SNAPSHOT = """
import asyncio, sys, time
from krakensim.runtime import snapshots

class Slow:
    def __reduce__(self):  # pickling never ends
        time.sleep(3600)

async def main():
    await snapshots.dump_when_durable(Slow(), sys.argv[1], asyncio.Event().wait)

asyncio.run(main())
"""


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead (whoever adopted it may not reap it)


def test_the_snapshot_child_dies_with_its_server(tmp_path: Path) -> None:
    server = subprocess.Popen([sys.executable, "-c", SLOW_SNAPSHOT, str(tmp_path / "j.sqlite")],
                              env={**os.environ, "PYTHONPATH": str(Path(snapshots.__file__).parents[2])})
    try:
        children: list[int] = []
        deadline = time.monotonic() + 30
        while not children and time.monotonic() < deadline:
            time.sleep(0.01)
            children = [int(c) for c in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        assert children, "no snapshot child was forked"
    finally:
        server.kill()  # SIGKILL, as a crash
        server.wait(10)
    deadline = time.monotonic() + 30
    while alive(children[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(children[0]), "the snapshot child outlived its server"
