"""The narrow executor interface a training backend serves: LocalExecutor (local.py,
worker processes) and RayExecutor (ray_executor.py, Ray actors on a cluster; issue 15).

A job spec is plain JSON-able data: {"id": str, "spec": NetworkSpec as dict, "config":
TrainConfig as dict, "weights_path": str, "checkpoint_path": str, "resume": bool,
"max_params": int, "max_misclassified": int, "data_dir": str, "init_weights": str | None
(config.init_from's safetensors file on the server; the Ray executor sends its bytes,
which train() also takes)}, and with Ray "device" ("cpu" or "cuda"). Nothing in it is
a file, socket or lock. Optional fields: "owner" (a user id: the queue serves owners
round-robin; absent means one shared owner), "max_seconds" (the run's wall-clock limit;
the local executor fills it from CNNPLAY_MAX_RUN_SECONDS).

Where a run's worker trains is stored with the run when it starts (`ran_on_json`:
{"executor", "node", "device", ...}; GET /api/runs shows it as "ran_on").

What every executor promises (issues 13, 14):
- A worker never outlives the server that started it, and a run never has two workers
  (the local one: a parent-death signal, a pipe watchdog, a lock beside the checkpoint;
  Ray: actors owned by the web process, one per run).
- A run past its time limit pauses with its checkpoint, status "paused" and a message
  naming CNNPLAY_MAX_RUN_SECONDS: it can be resumed (and gets the limit again).
- Waiting runs are served round-robin by owner; queue_position() is the 1-based place a
  run would start at if nothing else arrived.
- stop() pauses running and queued runs ("paused: the server stopped"); the next server
  queues them again (runner.start), with the runs a crashed one left queued or running.
tests/jobs/test_executor_contract.py checks these against every executor.
"""

from __future__ import annotations

from typing import Any, Protocol


class QueueFull(RuntimeError):
    """max_queued_jobs runs are already waiting."""


class Executor(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def submit(self, job: dict[str, Any]) -> str:
        """Queue a job; returns its run id (raises QueueFull)."""
        ...

    def cancel(self, run_id: str) -> bool:
        """Stop a queued or running job; False when it had already finished."""
        ...

    def pause(self, run_id: str) -> bool:
        """Ask a running job to checkpoint and end as "paused" (a queued one pauses at
        once); False when it is neither queued nor running."""
        ...

    def resume(self, job: dict[str, Any]) -> None:
        """Queue an existing paused (or failed) run again; with job["resume"] it carries
        on from its checkpoint. Its events keep their numbering (raises QueueFull)."""
        ...

    def queue_position(self, run_id: str) -> int | None:
        """1-based place in the (round-robin) queue, None when not queued."""
        ...

    def events(self, run_id: str, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
        """(seq, event) pairs with seq > after."""
        ...

    def status(self, run_id: str) -> str: ...

    def capacity(self) -> dict[str, Any]:
        """What the Train view shows beside the queue (GET /api/cluster, issue 15):
        {"executor": "local" | "ray", "nodes": [{"id", "address", "cpus", "gpus",
        "alive"}], "cpus", "gpus" (totals of the live nodes), "slots" (runs that may
        train at once), "busy" (runs training now), "queued", "warm" (idle workers ready to
        take a run at once: its Start is a message, not an interpreter start)}."""
        ...
