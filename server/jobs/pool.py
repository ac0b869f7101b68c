"""Worker processes, and a small pool of warm ones waiting for a job (issue 20).

A worker is a "spawn" process running worker.serve: it ties itself to the server
(lifeline.py), imports torch and the job code, says ("ready", pid) and blocks on its pipe
until a job arrives, runs that one job and exits. A warm worker has done everything but
the last step, so Start is a pipe write instead of an interpreter start, ~2 s of imports
(torch, torch._dynamo through the first optimizer) and a first forward/backward.

Idle warm workers cost memory, not CPU: each is blocked in a read. At most `size` wait
(Settings.warm_workers, as many as may train at once, so that both runs of the Train
view's transfer race start at once); they warm up one after the other;
the dispatcher refills the pool after handing one out, but only while a core is free for
the replacement's imports (one core for the web process, one per training job): on a
2-core machine that is once no job trains, because a refill beside a job took ~2 s of
CPU from it (the job fell to 0.77x a plain loop in benchmarks/training.py). The pool
fills for the first time WARM_DELAY_S after the executor starts, so the server's own
start-up has the CPU first and short-lived apps (tests, one-off CLI calls) never pay for
a worker. Every worker is started from the dispatcher thread (see lifeline.py on why
that thread matters).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from server.jobs.worker import serve

WARM_DELAY_S = 1.0  # after start(): the first warm worker waits this long
BACKOFF_S = 5.0  # after an idle worker died: no new one before this
# After handing a worker out, wait this long before starting its replacement: its ~2 s of
# imports would otherwise compete with the job's first batches, the ones a user watches.
REFILL_DELAY_S = 2.0
JOIN_S = 3.0


@dataclass
class Worker:
    process: Any  # multiprocessing.Process
    conn: Any  # the server's end of the worker's duplex pipe: the job in, events out
    # A shared byte the worker reads before every batch (0 = go on, CANCEL, PAUSE): a
    # plain memory read, where an Event.is_set() costs ~20 us of locking per batch. It is
    # made with the process (shared memory can only be handed over at spawn).
    control: Any
    ready: bool = False  # it said it has imported everything

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def read(self, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """The events waiting in the pipe (up to `limit` messages), and False once the
        worker has exited (end of file: everything it sent has been read)."""
        events: list[dict[str, Any]] = []
        try:
            for _ in range(limit):
                if not self.conn.poll():
                    break
                kind, payload = self.conn.recv()
                if kind == "events":
                    events += payload
                elif kind == "ready":
                    self.ready = True
        except (EOFError, OSError):
            return events, False
        return events, True

    def close(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        self.conn.close()


def spawn(ctx: Any) -> Worker:
    """Start one worker process (call from the dispatcher thread only)."""
    ours, theirs = ctx.Pipe(duplex=True)
    control = ctx.RawValue("b", 0)
    process = ctx.Process(
        target=serve, args=(theirs, control, os.getpid()), name="cnnplay-worker", daemon=True
    )
    process.start()
    theirs.close()  # the worker holds the only other end: its exit is our end of file
    return Worker(process, ours, control)


class WarmPool:
    def __init__(
        self, ctx: Any, size: int, delay_s: float = WARM_DELAY_S, cores: int | None = None
    ) -> None:
        self.ctx, self.size = ctx, max(0, size)
        self.cores = cores or os.cpu_count() or 1
        self.idle: list[Worker] = []
        self._not_before = time.monotonic() + delay_s

    def take(self) -> Worker | None:
        """A waiting worker, the ready ones first (then the one started longest ago)."""
        if not self.idle:
            return None
        chosen = next((w for w in self.idle if w.ready), self.idle[0])
        self.idle.remove(chosen)
        self._not_before = max(self._not_before, time.monotonic() + REFILL_DELAY_S)
        return chosen

    def refill(self, busy: int = 0) -> None:
        """Start a worker if fewer than `size` wait, unless `busy` training jobs (and the
        web process) already use every core, or another one is still warming up: one at
        a time, so that their imports share a core rather than take every one."""
        if time.monotonic() < self._not_before or busy + 1 >= self.cores:
            return
        if len(self.idle) < self.size and all(w.ready for w in self.idle):
            self.idle.append(spawn(self.ctx))

    def conns(self) -> list[Any]:
        return [w.conn for w in self.idle]

    def on_readable(self, conn: Any) -> None:
        """An idle worker wrote: it is ready, or it died (end of file)."""
        worker = next((w for w in self.idle if w.conn is conn), None)
        if worker is None or worker.read(100)[1]:
            return
        self.idle.remove(worker)
        worker.close(kill=True)
        worker.process.join(timeout=JOIN_S)
        self._not_before = time.monotonic() + BACKOFF_S  # no spawn loop if they crash

    def close(self) -> None:
        """Idle workers hold nothing worth keeping: kill them."""
        for worker in self.idle:
            worker.close(kill=True)
        for worker in self.idle:
            worker.process.join(timeout=JOIN_S)
        self.idle.clear()
