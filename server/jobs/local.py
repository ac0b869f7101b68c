"""Local executor: worker processes ("spawn"), a FIFO queue, a concurrency cap.

One dispatcher thread in the web process owns all bookkeeping: it drains the shared
event queue into SQLite (numbering events per run with `seq`), notices workers that
exited without an "end" event (kill -9, OOM) and marks their runs failed (resumable
from their last checkpoint), and starts queued jobs while fewer than `max_jobs` run.
A resumed run's events go on from the last stored seq. Stopping the server pauses the
running jobs (they checkpoint), so they can be resumed after a restart.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.jobs.executor import QueueFull
from server.jobs.worker import CANCEL, PAUSE, run_job
from server.net.weights import checkpoint
from server.store import Store, new_id

TICK_S = 0.05
# A worker gone without an "end": wait this long for events still in the pipe.
EXIT_GRACE_S = 0.5
CANCEL_KILL_S = 10.0  # a cancelled worker still alive after this is terminated
STOP_PAUSE_S = 10.0  # at server stop: time for a worker to write its checkpoint


@dataclass
class _Running:
    process: Any  # multiprocessing.Process
    # A shared byte the worker reads before every batch (0 = go on, CANCEL, PAUSE): a
    # plain memory read, where an Event.is_set() costs ~20 us of locking per batch.
    control: Any
    job: dict[str, Any]
    exited_at: float | None = None
    cancel_at: float | None = None


@dataclass
class _State:
    queued: deque[tuple[str, dict[str, Any]]] = field(default_factory=deque)
    running: dict[str, _Running] = field(default_factory=dict)
    seq: dict[str, int] = field(default_factory=dict)


class LocalExecutor:
    def __init__(self, store: Store, max_jobs: int, max_queued: int) -> None:
        self.store = store
        self.max_jobs = max_jobs
        self.max_queued = max_queued
        self._ctx = mp.get_context("spawn")
        self._events: Any = self._ctx.Queue()
        self._state = _State()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        self._halt.clear()
        self._thread = threading.Thread(target=self._loop, name="jobs-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Pause every worker (each writes a checkpoint and ends "paused"); one that does
        not manage within STOP_PAUSE_S is killed and its run fails. Queued runs become
        paused too: both can be resumed once the server is back."""
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            running = list(self._state.running.items())
            queued = [rid for rid, _ in self._state.queued]
            self._state.running.clear()
            self._state.queued.clear()
        for _, r in running:
            if r.control.value != CANCEL:
                r.control.value = PAUSE
        deadline = time.monotonic() + STOP_PAUSE_S
        for run_id, r in running:
            r.process.join(timeout=max(0.1, deadline - time.monotonic()))
            if r.process.is_alive():
                r.process.kill()
                r.process.join(timeout=3)
            self._drain()
            if self.store.get_run(run_id).status == "running":
                self.store.set_run_status(
                    run_id, "failed", _died_message(r.job, "the server stopped")
                )
        for run_id in queued:
            self.store.set_run_status(run_id, "paused", "paused: the server stopped")
        self._events.close()
        self._events.join_thread()

    # --- the interface ------------------------------------------------------------

    def submit(self, job: dict[str, Any]) -> str:
        with self._lock:
            if len(self._state.queued) >= self.max_queued:
                raise QueueFull(
                    f"{self.max_queued} runs are already waiting (CNNPLAY_MAX_QUEUED_JOBS)"
                )
            run_id = job.get("id") or new_id()
            self.store.create_run(
                run_id,
                json.dumps(job["spec"]),
                json.dumps(job["config"], sort_keys=True),
                owner_id=job.get("owner"),  # issue 14: whose run it is
            )
            self._state.queued.append((run_id, job))
        self._dispatch()
        return run_id

    def cancel(self, run_id: str) -> bool:
        with self._lock:
            for i, (rid, _) in enumerate(self._state.queued):
                if rid == run_id:
                    del self._state.queued[i]
                    self.store.set_run_status(run_id, "cancelled", "cancelled while queued")
                    return True
            running = self._state.running.get(run_id)
            if running is None:
                return False
            running.control.value = CANCEL  # the worker checks it before every batch
            running.cancel_at = time.monotonic()
            return True

    def pause(self, run_id: str) -> bool:
        with self._lock:
            for i, (rid, _) in enumerate(self._state.queued):
                if rid == run_id:
                    del self._state.queued[i]
                    self.store.set_run_status(run_id, "paused", "paused while queued")
                    return True
            running = self._state.running.get(run_id)
            if running is None:
                return False
            if running.control.value != CANCEL:
                running.control.value = PAUSE  # checked before every batch, like cancel
            return True

    def resume(self, job: dict[str, Any]) -> None:
        run_id = job["id"]
        with self._lock:
            if len(self._state.queued) >= self.max_queued:
                raise QueueFull(
                    f"{self.max_queued} runs are already waiting (CNNPLAY_MAX_QUEUED_JOBS)"
                )
            if run_id in self._state.running or any(r == run_id for r, _ in self._state.queued):
                return  # already on its way
            self.store.set_run_status(run_id, "queued")
            self._state.queued.append((run_id, job))
        self._dispatch()

    def position(self, run_id: str) -> int | None:
        with self._lock:
            for i, (rid, _) in enumerate(self._state.queued):
                if rid == run_id:
                    return i + 1
        return None

    def events(self, run_id: str, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
        return [(seq, json.loads(text)) for seq, text in self.store.run_events(run_id, after)]

    def status(self, run_id: str) -> str:
        return self.store.get_run(run_id).status

    def worker_pid(self, run_id: str) -> int | None:
        with self._lock:
            r = self._state.running.get(run_id)
            return r.process.pid if r else None

    # --- the dispatcher -----------------------------------------------------------

    def _loop(self) -> None:
        while not self._halt.is_set():
            try:
                self._drain()
                self._reap()
                self._dispatch()
            except Exception:  # keep dispatching; one bad tick must not stop the runner
                import traceback

                traceback.print_exc()
            self._halt.wait(TICK_S)

    def _drain(self) -> None:
        """Move events from the worker queue into the store, numbering them per run."""
        rows: list[tuple[str, int, str]] = []
        ends: list[tuple[str, dict[str, Any]]] = []
        for _ in range(5000):
            try:
                run_id, batch = self._events.get_nowait()  # a worker sends lists of events
            except queue.Empty:
                break
            for event in batch:
                with self._lock:
                    seq = self._state.seq.get(run_id, 0) + 1
                    self._state.seq[run_id] = seq
                rows.append((run_id, seq, json.dumps(event)))
                if event.get("kind") == "start" and event.get("input_stats"):
                    self._store_stats(run_id, event["input_stats"])
                if event.get("kind") == "end":
                    ends.append((run_id, event))
        self.store.add_run_events(rows)
        for run_id, end in ends:
            metrics = end.get("metrics")
            self.store.set_run_status(
                run_id,
                end["status"],
                end.get("message", ""),
                json.dumps(metrics) if metrics else None,
                end.get("weights_path"),
            )
            with self._lock:
                r = self._state.running.pop(run_id, None)
                self._state.seq.pop(run_id, None)
            if r is not None:
                r.process.join(timeout=5)

    def _store_stats(self, run_id: str, stats: dict[str, Any]) -> None:
        """The input scaling a run started with goes into its stored config (issue 12):
        the weights library reads it there instead of reloading the training set, and a
        resumed run scales its inputs the same way."""
        with self._lock:
            running = self._state.running.get(run_id)
        if running is None or running.job["config"].get("input_stats"):
            return
        running.job["config"] = {**running.job["config"], "input_stats": stats}
        self.store.set_run_config(run_id, json.dumps(running.job["config"], sort_keys=True))

    def _reap(self) -> None:
        """A worker that exited without an "end" event died: its run failed."""
        now = time.monotonic()
        dead: list[tuple[str, int | None]] = []
        with self._lock:
            for run_id, r in self._state.running.items():
                if r.cancel_at is not None and now - r.cancel_at > CANCEL_KILL_S:
                    r.process.kill()
                if r.process.exitcode is None:
                    continue
                if r.exited_at is None:
                    r.exited_at = now
                elif now - r.exited_at > EXIT_GRACE_S:
                    dead.append((run_id, r.process.exitcode))
        for run_id, code in dead:
            self._drain()
            with self._lock:
                r = self._state.running.pop(run_id, None)
                self._state.seq.pop(run_id, None)
            if r is None:
                continue  # its "end" arrived in the last drain
            status = "cancelled" if r.cancel_at is not None else "failed"
            why = f"the worker process died (exit code {code})"
            self.store.set_run_status(run_id, status, _died_message(r.job, why))

    def _dispatch(self) -> None:
        with self._lock:
            while self._state.queued and len(self._state.running) < self.max_jobs:
                run_id, job = self._state.queued.popleft()
                control = self._ctx.RawValue("b", 0)
                process = self._ctx.Process(
                    target=run_job, args=(run_id, job, self._events, control), daemon=True
                )
                # A resumed run numbers its events after the ones already stored.
                self._state.seq[run_id] = self.store.last_seq(run_id)
                self.store.set_run_status(run_id, "running")
                process.start()
                self._state.running[run_id] = _Running(process, control, job)


def _died_message(job: dict[str, Any], why: str) -> str:
    """Why a worker ended without an "end", and where a resume would carry on."""
    path = job.get("checkpoint_path")
    if not path:
        return why
    try:
        meta = checkpoint.read_meta(Path(path))
    except (checkpoint.CheckpointError, FileNotFoundError):
        return why
    return f"{why}; it can resume from iteration {meta['step']} (epoch {meta['epoch']})"
