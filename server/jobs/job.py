"""The plain-data job a worker gets (executor.py), built in one place for the runs API and
for runner.start, which queues again the runs a previous server left unfinished."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.config import Settings


def checkpoint_path(settings: Settings, run_id: str) -> Path:
    return settings.data_dir / "runs" / f"{run_id}.ckpt.safetensors"


def weights_path(settings: Settings, run_id: str) -> Path:
    return settings.data_dir / "runs" / f"{run_id}.safetensors"


def make_job(
    run_id: str,
    spec: dict[str, Any],
    config: dict[str, Any],
    settings: Settings,
    resume: bool,
    init_weights: str | None,
    owner: str,
) -> dict[str, Any]:
    """The job of run `run_id` (server/jobs/executor.py describes its fields)."""
    return {
        "id": run_id,
        "owner": owner,  # the user whose run it is (issue 14: the queue is fair among them)
        "spec": spec,
        "config": config,
        "weights_path": str(weights_path(settings, run_id)),
        "checkpoint_path": str(checkpoint_path(settings, run_id)),
        "resume": resume,
        "max_params": max(settings.max_train_params, settings.max_finetune_params),
        "max_misclassified": settings.max_misclassified,
        "data_dir": str(settings.data_dir),  # downloaded / uploaded datasets
        # config.init_from's file as the library found it: a path on the server (the Ray
        # executor ships its bytes to the node instead; train() takes both).
        "init_weights": init_weights,
        "snapshots": snapshot_limits(settings),  # issue 19: Inside the network
    }


def snapshot_limits(settings: Settings) -> dict[str, Any]:
    """server/net/train/snapshots.Limits from the Settings (plain data for the worker)."""
    return {
        "interval_s": settings.snapshot_interval_s,
        "cost_fraction": settings.snapshot_cost_fraction,
        "channels": settings.snapshot_channels,
        "tile": settings.snapshot_tile,
        "layers": settings.snapshot_layers,
        "filters": settings.snapshot_filters,
    }
