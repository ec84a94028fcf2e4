"""One agent at a time per work folder: the nightly task and a manual run must not interleave.

An operating-system file lock (fcntl on Linux, msvcrt on Windows) is released by the system
when the process ends, however it ends, so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cynare.agent.errors import AgentError


class AlreadyRunning(AgentError):
    """Another cynare-agent is working in the same work folder."""


@contextmanager
def run_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "agent.lock"
    handle = path.open("a+b")
    try:
        try:
            _lock(handle.fileno())
        except OSError:
            raise AlreadyRunning(
                f"another cynare-agent is running with the work folder {folder}; this run stops and changes nothing"
            ) from None
        try:
            yield
        finally:
            _unlock(handle.fileno())
    finally:
        handle.close()


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
