"""Local executor: worker processes ("spawn"), a fair queue, a concurrency cap.

One dispatcher thread in the web process owns the workers: it is the only thread that
starts them (a worker's parent-death signal follows the thread that started it,
lifeline.py), it hands queued jobs to warm workers (pool.py) while fewer than `max_jobs`
run, reads every worker's pipe and writes its events into SQLite (numbering them per run
with `seq`; it is the only writer of events), notices workers whose pipe closed without
an "end" event (kill -9, OOM) and marks their runs failed (resumable from their last
checkpoint), and kills a worker that overstays its time limit. A resumed run's events go
on from the last stored seq. The queue is round-robin by job["owner"] (fair_queue.py).

Stopping the server pauses the running jobs (they checkpoint) and the queued ones, so they
can be resumed after a restart. Nothing here is a multiprocessing Queue or Lock: one
duplex pipe per worker carries its job in and its events out, so there are no named
semaphores to leak when the process dies by a signal (issue 18).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import socket
import threading
import time
from multiprocessing.connection import wait
from typing import Any

from server.jobs.dispatch import Dispatch
from server.jobs.pool import JOIN_S, WarmPool, Worker, spawn
from server.jobs.running import Running
from server.jobs.worker import CANCEL, PAUSE
from server.store import Store

TICK_S = 0.1  # the dispatcher wakes at least this often (a pipe or a submit wakes it at once)
CANCEL_KILL_S = 10.0  # a cancelled worker still alive after this is killed
STOP_PAUSE_S = 10.0  # at server stop: time for a worker to write its checkpoint
LIMIT_GRACE_S = 30.0  # past its time limit a worker has this long to pause, then is killed
EXIT_KILL_S = 10.0  # a worker that sent "end" but has not exited after this is killed
MAX_MESSAGES = 2000  # read from one pipe per tick, so one chatty worker cannot starve others


class LocalExecutor(Dispatch):
    executor_name = "local"

    def __init__(
        self,
        store: Store,
        max_jobs: int,
        max_queued: int,
        *,
        warm_workers: int = 0,
        cores: int | None = None,  # what the warm pool's refill rule counts (pool.py)
        max_run_seconds: float | None = None,
    ) -> None:
        super().__init__(store, max_jobs, max_queued, max_run_seconds)
        self._ctx = mp.get_context("spawn")
        self._pool = WarmPool(self._ctx, warm_workers, cores=cores)
        self._exiting: list[tuple[Worker, float]] = []  # sent "end", not reaped yet
        self._thread: threading.Thread | None = None
        self._loop_done = threading.Event()
        self._release = threading.Event()  # the dispatcher thread may end (after stop)
        self._wake_r: socket.socket | None = None  # a self-pipe: submit() wakes the dispatcher
        self._wake_w: socket.socket | None = None

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        self._halt.clear()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread = threading.Thread(target=self._main, name="jobs-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Pause every worker (each writes a checkpoint and ends "paused"); one that does
        not manage within STOP_PAUSE_S is killed and its run fails. Queued runs become
        paused too: both are queued again when the server is back (runner.start)."""
        self._halt.set()
        self._wake()
        if self._thread is not None:
            self._loop_done.wait(timeout=30)
        with self._lock:
            self._stopping = True
            queued = self._drain_queue()
            for r in self._running.values():
                if r.worker.control.value != CANCEL:
                    r.worker.control.value = PAUSE
        deadline = time.monotonic() + STOP_PAUSE_S
        while self._running and time.monotonic() < deadline:
            self._service(min(TICK_S, max(0.0, deadline - time.monotonic())))
        for r in list(self._running.values()):
            if r.worker is not None:
                r.worker.process.kill()
        end = time.monotonic() + JOIN_S
        while self._running and time.monotonic() < end:
            self._service(TICK_S)  # their pipes close: "failed", resumable
        self._pause_queued(queued)
        self._pool.close()
        for worker, _ in self._exiting:
            worker.process.join(timeout=JOIN_S)
        self._exiting.clear()
        self._release.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()

    # --- the interface (the rest is Dispatch's) -----------------------------------

    def capacity(self) -> dict[str, Any]:
        """One node, this machine; its workers train on the CPU."""
        cpus = float(os.cpu_count() or 1)
        node = {"id": socket.gethostname(), "address": "local", "cpus": cpus, "gpus": 0.0}
        busy, queued = self.counts()
        return {
            "executor": "local",
            "nodes": [{**node, "alive": True}],
            "cpus": cpus,
            "gpus": 0.0,
            "slots": self.max_jobs,
            "busy": busy,
            "queued": queued,
            "warm": self.warm_ready(),
        }

    def worker_pid(self, run_id: str) -> int | None:
        with self._lock:
            r = self._running.get(run_id)
            return r.worker.pid if r is not None and r.worker is not None else None

    def idle_worker_pids(self) -> list[int]:
        """Warm workers waiting for a job (for tests and benchmarks)."""
        with self._lock:
            return [w.pid for w in self._pool.idle if w.pid is not None]

    def warm_ready(self) -> int:
        with self._lock:
            return sum(1 for w in self._pool.idle if w.ready)

    # --- Dispatch's hooks ---------------------------------------------------------

    def _tell(self, running: Running, value: int) -> None:
        if running.worker.control.value != CANCEL:
            running.worker.control.value = value

    def _let_go(self, running: Running) -> None:
        running.worker.conn.close()
        self._exiting.append((running.worker, time.monotonic()))

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):  # full (it is awake anyway) or closed
                self._wake_w.send(b"!")

    # --- the dispatcher thread ----------------------------------------------------

    def _main(self) -> None:
        try:
            self._loop()
        finally:
            self._loop_done.set()
        # Workers started by this thread get their parent-death signal when it ends:
        # it waits here until stop() has seen every worker out.
        self._release.wait()

    def _refill(self) -> None:
        self._pool.refill(busy=len(self._running))

    def _hand_over(self) -> None:
        """Give every run that has a slot but no worker a warm worker (or a new one)."""
        for run_id, r in self._unstarted():
            worker = self._pool.take() or spawn(self._ctx)
            with contextlib.suppress(OSError):  # it died idle: its pipe's EOF tells the run
                worker.conn.send(r.job)
            with self._lock:
                r.worker, r.started_at = worker, time.monotonic()
                if r.asked:
                    worker.control.value = r.asked
            placement = {"executor": "local", "node": socket.gethostname(), "device": "cpu"}
            self.store.set_run_placement(run_id, json.dumps({**placement, "pid": worker.pid}))

    def _service(self, timeout: float) -> None:
        """Wait up to `timeout` for a pipe to have something, then read every ready one."""
        with self._lock:
            running = {r.worker.conn: (k, r.worker) for k, r in self._running.items() if r.worker}
        idle = self._pool.conns()
        wake = [self._wake_r] if self._wake_r is not None else []
        ready = wait([*running, *idle, *wake], timeout)
        rows: list[tuple[str, int, str]] = []
        ends: list[tuple[str, dict[str, Any]]] = []
        gone: list[str] = []
        for conn in ready:
            if conn is self._wake_r:
                with contextlib.suppress(OSError):
                    while conn.recv(4096):
                        pass
            elif conn in running:
                run_id, worker = running[conn]
                events, alive = worker.read(MAX_MESSAGES)
                self._number(run_id, events, rows, ends)
                if not alive:
                    gone.append(run_id)
            else:
                self._pool.on_readable(conn)
        self._write(rows, ends)
        for run_id in gone:
            self._died(run_id)

    def _died(self, run_id: str) -> None:
        """The pipe closed without an "end": the worker died (or was killed)."""
        r = self._take(run_id)
        if r is None or r.worker is None:
            return  # its "end" came in the same read
        r.worker.process.join(timeout=JOIN_S)
        r.worker.conn.close()
        code = r.worker.process.exitcode
        why = f"the worker process died (exit code {code})"
        if r.timed_out:
            why = (
                f"stopped: it ran past its time limit of {r.job.get('max_seconds'):g} s "
                f"(CNNPLAY_MAX_RUN_SECONDS) and did not pause within {LIMIT_GRACE_S:g} s"
            )
        self._record_death(run_id, r, why)

    def _reap(self) -> None:
        """Kill what overstays (a cancel, a time limit, an exit), collect exited workers."""
        now = time.monotonic()
        with self._lock:
            for r in self._running.values():
                if r.worker is None:
                    continue
                if r.cancel_at is not None and now - r.cancel_at > CANCEL_KILL_S:
                    r.worker.process.kill()
                limit = r.job.get("max_seconds")
                if limit and now - r.started_at > limit + LIMIT_GRACE_S:
                    r.timed_out = True
                    r.worker.process.kill()
        keep = []
        for worker, since in self._exiting:
            if worker.process.exitcode is not None:
                worker.process.join(timeout=0)
                continue
            if now - since > EXIT_KILL_S:
                worker.process.kill()
            keep.append((worker, since))
        self._exiting = keep
