"""One worker per run: an exclusive lock on a file beside the run's checkpoint (issue 13).

The worker takes it (fcntl.flock, non-blocking) before it reads or writes the checkpoint
and holds it for the job's whole life; the kernel drops it when the worker exits, however
it exits. A second worker for the same run (a resume while an orphaned worker of a
killed server still trains, two servers on one data directory) fails at once with
RunLocked, and never touches the checkpoint. The lock file holds the owner's pid, for
the message only.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RunLocked(RuntimeError):
    """Another live worker holds this run's lock."""


def lock_path(checkpoint_path: Path) -> Path:
    return checkpoint_path.with_name(checkpoint_path.name + ".lock")


class RunLock:
    def __init__(self, checkpoint_path: Path) -> None:
        self.path = lock_path(checkpoint_path)
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        """Raises RunLocked when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                who = f" (pid {holder})" if holder else ""
                raise RunLocked(
                    f"another worker{who} is already running this run; it was not started "
                    "a second time and its checkpoint was left alone"
                ) from None
            # The holder before us may have removed the file after we opened it (release
            # with remove=True): then we hold a lock nobody else can see. Start over.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def release(self, remove: bool = False) -> None:
        """`remove`: the run has ended for good, its lock file goes too (removed while
        still held, so no one can take the old file's lock in between)."""
        if self.fd is None:
            return
        if remove:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)  # closing the last descriptor drops the lock
        self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *_: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
