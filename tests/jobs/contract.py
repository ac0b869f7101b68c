"""Helpers of the executor contract suite: jobs, waiting, reading events, a worker's pid."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import models
from server.config import Settings
from server.jobs.dispatch import Dispatch
from server.jobs.job import make_job
from server.store import new_id

BASE = {"dataset": "digits", "epochs": 1, "batch_size": 64, "train_limit": 256}
LONG = {"dataset": "mnist", "epochs": 100, "batch_size": 8, "train_limit": None}


def job(settings: Settings, owner: str = "u", **config: Any) -> dict[str, Any]:
    spec = models.get("mlp").model_dump(mode="json")
    return make_job(new_id(), spec, {**BASE, **config}, settings, False, None, owner)


def wait_for(cond: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def every_event(ex: Dispatch, run_id: str) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    while page := ex.events(run_id, out[-1][0] if out else 0):
        out += page
    return out


def iters(ex: Dispatch, run_id: str) -> list[int]:
    return [e["iter"] for _, e in every_event(ex, run_id) if e["kind"] == "iter"]


def ended(ex: Dispatch, run_id: str, timeout: float = 120) -> str:
    wait_for(lambda: ex.status(run_id) not in ("queued", "running"), timeout)
    return ex.status(run_id)


def worker_pid(ex: Dispatch, run_id: str) -> int | None:
    """The process training the run: a local worker, or a Ray actor (same machine here)."""
    if hasattr(ex, "worker_pid"):
        return ex.worker_pid(run_id)
    return ex.actor_pid(run_id)  # type: ignore[attr-defined]
