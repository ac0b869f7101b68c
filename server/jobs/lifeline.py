"""A worker dies with the server that started it (issue 13).

Two guards, both set up inside the worker:
- `tie_to_parent(pid)`: Linux's parent-death signal (prctl PR_SET_PDEATHSIG = SIGKILL), so
  the kernel kills the worker the moment its parent goes, kill -9 included. The signal
  is armed after the worker has started, so a parent that died before that is caught by
  comparing getppid() with the pid the parent passed down. Linux sends it when the
  *thread* that forked the worker ends: the executor starts workers from its dispatcher
  thread only, which outlives them (server/jobs/local.py).
- `watch_pipe(conn)`: a thread blocked on the worker's end of its pipe to the server (no
  CPU while it waits). The server never writes to it once the job is handed over, so a
  read returns only at end of file: the server's end is closed, because it exited or died.
  It covers systems without prctl and anything that defeats the signal.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
ORPHAN_EXIT = 70  # the worker's exit code when it finds its server gone


def set_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send `sig` to this process when its parent ends (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def tie_to_parent(parent_pid: int) -> None:
    """Arm the death signal, then leave at once if the parent is already gone (the worker
    was re-parented to init or a subreaper before the signal was armed)."""
    set_death_signal()
    if os.getppid() != parent_pid:
        os._exit(ORPHAN_EXIT)


def watch_pipe(conn: Any) -> threading.Thread:
    """Exit the process (without teardown: nothing in it is worth keeping for a server
    that is gone) once `conn` reaches end of file or breaks."""

    def watch() -> None:
        try:
            while True:
                conn.recv()  # the server sends nothing after the job: only EOF returns
        except (EOFError, OSError):
            pass
        os._exit(ORPHAN_EXIT)

    thread = threading.Thread(target=watch, name="server-watchdog", daemon=True)
    thread.start()
    return thread
