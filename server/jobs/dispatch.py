"""What every executor's dispatcher keeps (issue 15): the fair queue, the slots, the
per-run numbering of events, and what a run's end or death writes into SQLite.

An executor subclasses `Dispatch` and adds only how its workers are started, told to
cancel or pause (`_tell`), read, and let go (`_let_go`): LocalExecutor (local.py) through
processes and pipes, RayExecutor (ray_executor.py) through Ray actors. Both number a
run's events in the web process (a resumed run goes on from its last stored seq) and are
the only writers of SQLite. Every method whose name starts with `_` and is not a
dispatcher-thread step runs under `self._lock`, as noted.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from server.jobs.executor import QueueFull
from server.jobs.fair_queue import FairQueue
from server.jobs.running import Running, died_message
from server.jobs.worker import CANCEL, PAUSE
from server.store import Store, new_id

TICK_S = 0.1  # the dispatcher wakes at least this often

# How a run paused by its server's stop (not by its user) is marked: a restart queues
# these again (runner.start), a user's pause it leaves alone.
SERVER_STOPPED = "paused: the server stopped"


class Dispatch:
    executor_name = "base"

    def __init__(
        self, store: Store, max_jobs: int, max_queued: int, max_run_seconds: float | None
    ) -> None:
        self.store = store
        self.max_jobs = max_jobs
        self.max_queued = max_queued
        self.max_run_seconds = max_run_seconds
        self._queue = FairQueue()
        self._running: dict[str, Running] = {}
        self._seq: dict[str, int] = {}
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._stopping = False  # stop() is pausing the running runs: theirs is SERVER_STOPPED

    # --- what a subclass provides -----------------------------------------------

    def _wake(self) -> None:
        """Wake the dispatcher thread (a submit, a cancel)."""

    def _tell(self, running: Running, value: int) -> None:
        """Pass CANCEL or PAUSE to a run's worker (under the lock)."""
        raise NotImplementedError

    def _let_go(self, running: Running) -> None:
        """A run's worker sent its "end": release it (under no lock)."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def capacity(self) -> dict[str, Any]:
        """executor.py: the nodes, CPUs, GPUs, slots, busy and queued runs."""
        raise NotImplementedError

    # --- the interface ------------------------------------------------------------

    def submit(self, job: dict[str, Any]) -> str:
        with self._lock:
            self._check_room()
            run_id = job.get("id") or new_id()
            self.store.create_run(
                run_id,
                json.dumps(job["spec"]),
                json.dumps(job["config"], sort_keys=True),
                owner_id=job.get("owner"),  # issue 14: whose run it is
            )
            self._queue.append(run_id, job)
            self._claim_slots()
        self._wake()
        return run_id

    def cancel(self, run_id: str) -> bool:
        with self._lock:
            if self._queue.remove(run_id):
                self.store.set_run_status(run_id, "cancelled", "cancelled while queued")
                return True
            running = self._running.get(run_id)
            if running is None:
                return False
            self._ask(running, CANCEL)  # the worker checks it before every batch
            running.cancel_at = time.monotonic()
        self._wake()
        return True

    def pause(self, run_id: str) -> bool:
        with self._lock:
            if self._queue.remove(run_id):
                self.store.set_run_status(run_id, "paused", "paused while queued")
                return True
            running = self._running.get(run_id)
            if running is None:
                return False
            self._ask(running, PAUSE)  # checked before every batch, like cancel
        self._wake()
        return True

    def resume(self, job: dict[str, Any]) -> None:
        run_id = job["id"]
        with self._lock:
            self._check_room()
            if run_id in self._running or run_id in self._queue:
                return  # already on its way
            self.store.set_run_status(run_id, "queued")
            self._queue.append(run_id, job)
            self._claim_slots()
        self._wake()

    def queue_position(self, run_id: str) -> int | None:
        with self._lock:
            return self._queue.position(run_id)

    position = queue_position  # the name the runs API first used

    def events(self, run_id: str, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
        return [(seq, json.loads(text)) for seq, text in self.store.run_events(run_id, after)]

    def status(self, run_id: str) -> str:
        return self.store.get_run(run_id).status

    def counts(self) -> tuple[int, int]:
        """(runs training now, runs waiting)."""
        with self._lock:
            return len(self._running), len(self._queue)

    # --- under self._lock ---------------------------------------------------------

    def _check_room(self) -> None:
        if len(self._queue) >= self.max_queued:
            raise QueueFull(f"{self.max_queued} runs are already waiting (CNNPLAY_MAX_QUEUED_JOBS)")

    def _claim_slots(self) -> None:
        """Queued runs take free slots at once (status "running"); the dispatcher thread
        gives each a worker within moments."""
        while len(self._queue) and len(self._running) < self.max_jobs and not self._halt.is_set():
            run_id, job = self._queue.popleft()
            if self.max_run_seconds and not job.get("max_seconds"):
                job = {**job, "max_seconds": self.max_run_seconds}
            # A resumed run numbers its events after the ones already stored.
            self._seq[run_id] = self.store.last_seq(run_id)
            self.store.set_run_status(run_id, "running")
            self._running[run_id] = Running(job)

    def _ask(self, running: Running, value: int) -> None:
        if running.worker is None:
            running.asked = CANCEL if CANCEL in (value, running.asked) else value
        else:
            self._tell(running, value)

    def _drain_queue(self) -> list[str]:
        """At stop: the waiting runs, and those that hold a slot but never got a worker."""
        queued = []
        while len(self._queue):
            queued.append(self._queue.popleft()[0])
        for run_id, r in list(self._running.items()):
            if r.worker is None:  # never handed over: nothing ran
                del self._running[run_id]
                queued.append(run_id)
        return queued

    # --- dispatcher-thread steps (no lock held on entry) ---------------------------

    def _unstarted(self) -> list[tuple[str, Running]]:
        """Runs with a slot and no worker yet; those cancelled or paused meanwhile end
        here without one."""
        with self._lock:
            self._claim_slots()
            waiting = [(rid, r) for rid, r in self._running.items() if r.worker is None]
        out = []
        for run_id, r in waiting:
            if not r.asked:
                out.append((run_id, r))
                continue
            with self._lock:
                self._running.pop(run_id, None)
                self._seq.pop(run_id, None)
            status = "cancelled" if r.asked == CANCEL else "paused"
            self.store.set_run_status(run_id, status, f"{status} before it started")
        return out

    def _number(
        self,
        run_id: str,
        events: list[dict[str, Any]],
        rows: list[tuple[str, int, str]],
        ends: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """Number a worker's new events into `rows` (its "end" into `ends`)."""
        with self._lock:
            first = self._seq.get(run_id, 0) + 1
            self._seq[run_id] = first + len(events) - 1
        for seq, event in enumerate(events, first):
            rows.append((run_id, seq, json.dumps(event)))
            if event.get("kind") == "start" and event.get("input_stats"):
                self._store_stats(run_id, event["input_stats"])
            if event.get("kind") == "end":
                ends.append((run_id, event))

    def _write(
        self, rows: list[tuple[str, int, str]], ends: list[tuple[str, dict[str, Any]]]
    ) -> None:
        if rows:
            self.store.add_run_events(rows)  # events first: a reader that sees the
        for run_id, end in ends:  # status "done" then surely finds every event
            self._finish(run_id, end)

    def _finish(self, run_id: str, end: dict[str, Any]) -> None:
        metrics = end.get("metrics")
        message = end.get("message", "")
        if self._stopping and end["status"] == "paused":
            message = f"{SERVER_STOPPED} ({message})" if message else SERVER_STOPPED
        self.store.set_run_status(
            run_id,
            end["status"],
            message,
            json.dumps(metrics) if metrics else None,
            end.get("weights_path"),
        )
        with self._lock:
            r = self._running.pop(run_id, None)
            self._seq.pop(run_id, None)
        if r is not None and r.worker is not None:
            self._let_go(r)

    def _take(self, run_id: str) -> Running | None:
        """A run whose worker is gone leaves its slot."""
        with self._lock:
            r = self._running.pop(run_id, None)
            self._seq.pop(run_id, None)
        return r

    def _record_death(self, run_id: str, r: Running, why: str) -> None:
        """Its worker ended without an "end": failed (resumable from its checkpoint), or
        cancelled when that was asked."""
        status = "cancelled" if r.cancel_at is not None else "failed"
        self.store.set_run_status(run_id, status, died_message(r.job, why))

    def _store_stats(self, run_id: str, stats: dict[str, Any]) -> None:
        """The input scaling a run started with goes into its stored config (issue 12):
        the weights library reads it there instead of reloading the training set, and a
        resumed run scales its inputs the same way."""
        running = self._running.get(run_id)
        if running is None or running.job["config"].get("input_stats"):
            return
        running.job["config"] = {**running.job["config"], "input_stats": stats}
        self.store.set_run_config(run_id, json.dumps(running.job["config"], sort_keys=True))

    def _pause_queued(self, queued: list[str]) -> None:
        for run_id in queued:
            self.store.set_run_status(run_id, "paused", SERVER_STOPPED)

    # --- the dispatcher thread's tick (each executor supplies the steps) ---------

    def _loop(self) -> None:
        """Until stop(): read what workers sent, kill what overstays, hand queued runs to
        workers, keep warm ones ready."""
        while not self._halt.is_set():
            try:
                self._service(TICK_S)
                if self._halt.is_set():
                    break
                self._reap()
                self._hand_over()
                self._refill()
            except Exception:  # keep dispatching; one bad tick must not stop the runner
                import traceback

                traceback.print_exc()
