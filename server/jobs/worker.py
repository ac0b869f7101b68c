"""What runs inside a worker process: one training job, events out through its pipe.

Top-level and import-light so the "spawn" start method can find it. `serve` is the
process: it ties itself to the server (lifeline.py), imports what a job needs, waits for
exactly one job on its pipe (a warm worker waits there, pool.py), runs it and exits. It
receives only plain data: the job, and a shared control byte (multiprocessing.RawValue).

Worker -> server messages: ("ready", pid) once warm, ("events", [event, ...]) after.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.jobs import lifeline
from server.jobs.run_lock import RunLock, RunLocked

CANCEL, PAUSE = 1, 2  # values of the shared control byte
FLUSH_S = 0.05  # iteration events leave in lists at most this old: one pipe write per list
Send = Callable[[list[dict[str, Any]]], None]


def save_weights(module: Any, path: Path) -> None:
    """safetensors via a temp file and os.replace: a reader never sees half a file."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(tmp))
    os.replace(tmp, path)


class Outbox:
    """Events to the dispatcher in lists: "iter" events wait up to FLUSH_S and leave
    together (but the first, the point a user waits for after Start), any other event
    flushes at once. A message per batch (pickling, a pipe write) is what made a job
    slower than a plain loop on small networks (benchmarks/training.py). A full pipe
    blocks the sender: a server that reads slowly slows the job down instead of letting
    the worker's memory grow."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.pending: list[dict[str, Any]] = []
        self.sent_at = time.monotonic()
        self.first_iter = True

    def put(self, event: dict[str, Any]) -> None:
        self.pending.append(event)
        now = time.monotonic()
        first = self.first_iter and event["kind"] == "iter"
        if first:
            self.first_iter = False
        if event["kind"] != "iter" or first or now - self.sent_at >= FLUSH_S:
            self.send(self.pending)
            self.pending, self.sent_at = [], now


def warm_up() -> None:
    """Everything a job needs before its first batch that does not depend on the job:
    torch and the training code, torch._dynamo (imported by the first optimizer, ~1 s),
    a first convolution forward/backward/step (oneDNN's set-up), and the shipped MNIST
    set decompressed and split (the Train view's default dataset; 8 MB, cached)."""
    import torch

    torch.set_num_threads(1)  # the machine is shared: one core per job

    import safetensors.torch  # noqa: F401  (saving the weights at the end)

    from server.net.data import mnist
    from server.net.train import loop

    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten())
    opt = loop.make_optimizer(model, loop.TrainConfig())
    model(torch.zeros(1, 1, 5, 5)).sum().backward()
    opt.step()
    mnist.split()


def serve(conn: Any, control: Any, parent_pid: int) -> None:
    """The worker process: tie to the server, warm up, wait for one job, run it, exit."""
    lifeline.tie_to_parent(parent_pid)
    warm_up()
    try:
        conn.send(("ready", os.getpid()))
        job = conn.recv()  # blocks without CPU until the dispatcher hands a job over
    except (EOFError, OSError):
        os._exit(0)  # the pool was closed, or the server is gone
    lifeline.watch_pipe(conn)  # from here a read only returns when the server has gone

    def send(batch: list[dict[str, Any]]) -> None:
        conn.send(("events", batch))

    run_job(job, send, control)
    # Leave without the interpreter's teardown: tearing down torch, numpy, sklearn... took
    # over a second of CPU after the run had ended, a second the next job (or the web
    # process) could not have on a busy machine. Everything sent is in the pipe already.
    os._exit(0)


def run_job(job: dict[str, Any], send: Send, control: Any) -> None:
    """`control.value` (a shared byte) asks for CANCEL or PAUSE; it is read before every
    batch. `job["checkpoint_path"]` (optional): written when paused and after every epoch;
    `job["resume"]`: carry on from it. The checkpoint is removed once the run has ended
    for good (done, cancelled, diverged); a failed run keeps it, to be resumed.
    `job["max_seconds"]` (optional): past it the run pauses like a user's pause (with a
    checkpoint; without one it is cancelled), with a message naming the limit. The run's
    lock (run_lock.py) is held from before the checkpoint is read until the end."""
    from server.net.core.spec import NetworkSpec
    from server.net.train.loop import TrainConfig, train

    ckpt = Path(job["checkpoint_path"]) if job.get("checkpoint_path") else None
    limit = job.get("max_seconds")
    deadline = time.monotonic() + limit if limit else math.inf
    outbox = Outbox(send)
    lock = RunLock(ckpt) if ckpt is not None else None
    status = "failed"
    try:
        if lock is not None:
            lock.acquire()
        spec = NetworkSpec.model_validate(job["spec"])
        config = TrainConfig.model_validate(job["config"])
        result = train(
            spec,
            config,
            outbox.put,
            lambda: control.value == CANCEL or (ckpt is None and time.monotonic() > deadline),
            max_params=job.get("max_params"),
            should_pause=lambda: control.value == PAUSE or time.monotonic() > deadline,
            checkpoint_path=ckpt,
            resume=bool(job.get("resume")),
            max_misclassified=job.get("max_misclassified", 500),
            data_dir=job.get("data_dir"),  # downloaded / uploaded datasets (H2, issue 6)
            init_weights=job.get("init_weights"),  # config.init_from's file (issue 17)
            snapshot=job.get("snapshots"),  # Inside the network's limits (issue 19)
            device=job.get("device", "cpu"),  # "cuda" where the Ray executor got a GPU
        )
        status, message = result.status, result.message
        timed_out = control.value == 0 and time.monotonic() > deadline
        if status in ("paused", "cancelled") and timed_out:
            message = (
                f"{message}: it reached the time limit of {limit:g} s a run may train at "
                "a time (CNNPLAY_MAX_RUN_SECONDS)"
                + ("; resume it to go on" if status == "paused" else "")
            )
        end: dict[str, Any] = {
            "kind": "end",
            "status": status,
            "message": message,
            "metrics": result.metrics or None,
            "weights_path": None,
        }
        if status == "done" and result.module is not None:
            save_weights(result.module, Path(job["weights_path"]))
            end["weights_path"] = job["weights_path"]
        if status != "paused" and ckpt is not None:
            ckpt.unlink(missing_ok=True)
    except RunLocked as exc:  # not ours to touch: no checkpoint write, no unlink
        lock = None
        end = {"kind": "end", "status": "failed", "message": str(exc)}
    except Exception as exc:  # the run fails; the dispatcher records why
        traceback.print_exc()
        status = "failed"
        end = {"kind": "end", "status": "failed", "message": f"{type(exc).__name__}: {exc}"}
    with contextlib.suppress(OSError):  # the server is gone: nobody to tell
        outbox.put(end)  # sends what is pending too
    if lock is not None:
        lock.release(remove=status not in ("paused", "failed"))
