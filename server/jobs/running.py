"""A run that holds a slot in an executor, and what to say when its worker died."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.net.weights import checkpoint


@dataclass
class Running:
    """A run that holds one of the max_jobs slots."""

    job: dict[str, Any]
    worker: Any = None  # a pool.Worker or a Ray actor; None until the job is handed over
    started_at: float = 0.0
    asked: int = 0  # CANCEL or PAUSE asked before a worker had the job
    cancel_at: float | None = None
    timed_out: bool = False  # killed for overstaying its time limit
    device: str = "cpu"  # where it trains (a Ray run may get "cuda")
    pid: int | None = None  # a Ray actor's process, once it said where it runs


def died_message(job: dict[str, Any], why: str) -> str:
    """Why a worker ended without an "end", and where a resume would carry on."""
    path = job.get("checkpoint_path")
    if not path:
        return why
    try:
        meta = checkpoint.read_meta(Path(path))
    except (checkpoint.CheckpointError, FileNotFoundError):
        return why
    return f"{why}; it can resume from iteration {meta['step']} (epoch {meta['epoch']})"
