"""Who wants to hear that a run changed: the store tells its listeners after a commit.

The job dispatcher (a thread) writes events and statuses; event streams (asyncio) wait
for them instead of polling SQLite every fraction of a second (issue 13). A listener is
called with the run id on the writer's thread, after the write is on disk; it must be
quick and must not raise (one that does is dropped, so a closed event loop cannot break
the writer).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Listener = Callable[[str], None]


class Changes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(run_id)` after every change; returns the function that stops it."""
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop

    def notify(self, *run_ids: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            for run_id in run_ids:
                try:
                    listener(run_id)
                except Exception:  # a listener whose loop has closed: forget it
                    with self._lock:
                        if listener in self._listeners:
                            self._listeners.remove(listener)
                    break
