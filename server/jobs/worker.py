"""What runs inside a worker process: one training job, events out through a queue.

Top-level and import-light so the "spawn" start method can find it; it receives only
plain data, a multiprocessing Queue and a shared control byte (multiprocessing.RawValue).
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from typing import Any

CANCEL, PAUSE = 1, 2  # values of the shared control byte
FLUSH_S = 0.05  # iteration events leave in lists at most this old: one queue put per list


def save_weights(module: Any, path: Path) -> None:
    """safetensors via a temp file and os.replace: a reader never sees half a file."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(tmp))
    os.replace(tmp, path)


class Outbox:
    """Events to the dispatcher as (run_id, [event, ...]): "iter" events wait up to FLUSH_S
    and leave together, any other event flushes at once. A put through a multiprocessing
    queue (pickling, a pipe write, its feeder thread) per batch is what made a job slower
    than a plain loop on small networks (benchmarks/training.py)."""

    def __init__(self, run_id: str, events: Any) -> None:
        self.run_id, self.events = run_id, events
        self.pending: list[dict[str, Any]] = []
        self.sent_at = time.monotonic()

    def put(self, event: dict[str, Any]) -> None:
        self.pending.append(event)
        now = time.monotonic()
        if event["kind"] != "iter" or now - self.sent_at >= FLUSH_S:
            self.events.put((self.run_id, self.pending))
            self.pending, self.sent_at = [], now


def run_job(run_id: str, job: dict[str, Any], events: Any, control: Any) -> None:
    """`control.value` (a shared byte) asks for CANCEL or PAUSE; it is read before every
    batch. `job["checkpoint_path"]` (optional): written when paused and after every epoch;
    `job["resume"]`: carry on from it. The checkpoint is removed once the run has ended
    for good (done, cancelled, diverged); a failed run keeps it, to be resumed."""
    import torch

    from server.net.core.spec import NetworkSpec
    from server.net.train.loop import TrainConfig, train

    torch.set_num_threads(1)  # the machine is shared: one core per job
    ckpt = Path(job["checkpoint_path"]) if job.get("checkpoint_path") else None
    outbox = Outbox(run_id, events)
    try:
        spec = NetworkSpec.model_validate(job["spec"])
        config = TrainConfig.model_validate(job["config"])
        result = train(
            spec,
            config,
            outbox.put,
            lambda: control.value == CANCEL,
            max_params=job.get("max_params"),
            should_pause=lambda: control.value == PAUSE,
            checkpoint_path=ckpt,
            resume=bool(job.get("resume")),
            max_misclassified=job.get("max_misclassified", 500),
            data_dir=job.get("data_dir"),  # downloaded / uploaded datasets (H2, issue 6)
            init_weights=job.get("init_weights"),  # config.init_from's file (issue 17)
            snapshot=job.get("snapshots"),  # Inside the network's limits (issue 19)
        )
        end: dict[str, Any] = {
            "kind": "end",
            "status": result.status,
            "message": result.message,
            "metrics": result.metrics or None,
            "weights_path": None,
        }
        if result.status == "done" and result.module is not None:
            save_weights(result.module, Path(job["weights_path"]))
            end["weights_path"] = job["weights_path"]
        if result.status != "paused" and ckpt is not None:
            ckpt.unlink(missing_ok=True)
    except Exception as exc:  # the run fails; the dispatcher records why
        traceback.print_exc()
        end = {"kind": "end", "status": "failed", "message": f"{type(exc).__name__}: {exc}"}
    outbox.put(end)  # sends what is pending too
    _exit_quickly(events)


def _exit_quickly(events: Any) -> None:
    """In a worker process: flush the queue, then leave without the interpreter's teardown.
    Tearing down torch, numpy, sklearn... took over a second of CPU after the run had
    ended, a second the next job (or the web process) could not have on a busy machine."""
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return  # called in-process (not a spawned worker): nothing to skip
    events.close()
    events.join_thread()  # everything put is in the pipe
    os._exit(0)
