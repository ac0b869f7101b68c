"""Training runs: POST/GET /api/runs, GET/DELETE /api/runs/{id}, POST .../cancel,
.../pause and .../resume, GET .../misclassified. A run's event stream, GET
/api/runs/{id}/events, is server/api/run_events.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict

from server.api import run_checks, run_quota
from server.api.auth import CurrentUser
from server.api.deps import SettingsDep, StoreDep
from server.api.limits import check_jobs
from server.api.shapes import check_size
from server.api.weights import LibraryDep
from server.config import Settings
from server.jobs import job
from server.jobs.dispatch import Dispatch
from server.jobs.executor import QueueFull
from server.net.core import encode
from server.net.core.spec import NetworkSpec
from server.net.train.inputs import run_data
from server.net.train.loop import TrainConfig
from server.net.train.report import class_labels
from server.store import FINISHED, STOPPED, NotFound, RunRow, new_id

router = APIRouter(tags=["runs"])


def get_runner(request: Request) -> Dispatch:
    return request.app.state.runner


RunnerDep = Annotated[Dispatch, Depends(get_runner)]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: NetworkSpec
    config: TrainConfig = TrainConfig()


def _checkpoint_path(settings: Settings, run_id: str) -> Path:
    return job.checkpoint_path(settings, run_id)


_job = job.make_job  # the plain-data job a worker gets (server/jobs/job.py)


def _resumable(row: RunRow, settings: Settings) -> bool:
    """A paused run (from its checkpoint, or from the start if it paused while queued), or a
    failed one that left a checkpoint (its worker was killed mid-epoch)."""
    if row.status == "paused":
        return True
    return row.status == "failed" and _checkpoint_path(settings, row.id).is_file()


def _summary(row: RunRow, runner: Dispatch, settings: Settings) -> dict[str, Any]:
    spec = json.loads(row.spec_json)
    metrics = json.loads(row.metrics_json) if row.metrics_json else None
    return {
        "id": row.id,
        "status": row.status,
        "position": runner.position(row.id) if row.status == "queued" else None,
        # the place among waiting runs, served round-robin by owner (issue 14)
        "queue_position": runner.queue_position(row.id) if row.status == "queued" else None,
        "resumable": _resumable(row, settings),
        "message": row.message,
        "network": spec.get("name", "Untitled"),
        "config": json.loads(row.config_json),
        "accuracy": metrics["accuracy"] if metrics else None,
        # a segmentation run's accuracy is over pixels; its mean IoU says more (issue 16)
        "task": metrics.get("task", "classification") if metrics else None,
        "miou": metrics.get("miou") if metrics else None,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "owner_id": row.owner_id,  # issue 14
        "shared": row.shared,
        # issue 15: {"executor", "node", "device", ...} once a worker took it, else None
        "ran_on": json.loads(row.ran_on_json) if row.ran_on_json else None,
    }


def _row(store: Any, run_id: str, own: bool = False) -> RunRow:
    """A run the user may read, or with `own` one they may change (issue 14)."""
    try:
        return store.own_run(run_id) if own else store.get_run(run_id)
    except NotFound as exc:
        raise HTTPException(404, f"no run with id {run_id[:64]!r}") from exc


# One admission at a time: a user's count of queued + running runs and the queueing that
# adds to it happen together, so two requests at once cannot both pass the last place.
_ADMISSION = threading.Lock()


def _admit(store: Any, settings: Settings, enqueue: Callable[[], Any]) -> None:
    """Queue a run (new or resumed) if its user has room (429 otherwise, as when the
    queue is full)."""
    with _ADMISSION:
        check_jobs(store, settings)
        try:
            enqueue()
        except QueueFull as exc:
            raise HTTPException(429, str(exc)) from exc


@router.post("/runs", status_code=201)
def create_run(
    body: RunRequest,
    settings: SettingsDep,
    runner: RunnerDep,
    library: LibraryDep,
    store: StoreDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """Queue a training run; answers its id, status and place in the queue."""
    check_size(body.spec, settings)
    run_quota.check_room(store, settings)  # 409 past CNNPLAY_MAX_RUNS / _RUN_EVENT_BYTES
    config, init_weights = run_checks.prepare(body.spec, body.config, settings, library)
    run_id = new_id()
    new_job = _job(
        run_id,
        body.spec.model_dump(mode="json"),
        config.model_dump(mode="json"),
        settings,
        resume=False,
        init_weights=init_weights,
        owner=user.id,
    )
    _admit(store, settings, lambda: runner.submit(new_job))
    return {"id": run_id, "status": runner.status(run_id), "position": runner.position(run_id)}


@router.get("/runs")
def list_runs(store: StoreDep, runner: RunnerDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """Every run with its settings, status and final accuracy, newest first."""
    return [_summary(row, runner, settings) for row in store.list_runs()]


@router.get("/runs/{run_id}")
def get_run(
    run_id: str, store: StoreDep, runner: RunnerDep, settings: SettingsDep
) -> dict[str, Any]:
    """One run: settings, status, the network spec and the final metrics."""
    row = _row(store, run_id)
    out = _summary(row, runner, settings)
    out["spec"] = json.loads(row.spec_json)
    out["metrics"] = json.loads(row.metrics_json) if row.metrics_json else None
    out["has_weights"] = bool(row.weights_path) and Path(row.weights_path or "").is_file()
    return out


@router.post("/runs/{run_id}/cancel")
def cancel_run(
    run_id: str, store: StoreDep, runner: RunnerDep, settings: SettingsDep
) -> dict[str, Any]:
    row = _row(store, run_id, own=True)
    if row.status in FINISHED:
        raise HTTPException(409, f"the run has already ended ({row.status})")
    if row.status == "paused":  # no worker: it ends here, and will not be resumed
        store.set_run_status(run_id, "cancelled", "cancelled while paused")
        _checkpoint_path(settings, run_id).unlink(missing_ok=True)
    else:
        runner.cancel(run_id)
    return {"id": run_id, "status": runner.status(run_id)}


@router.post("/runs/{run_id}/pause")
def pause_run(run_id: str, store: StoreDep, runner: RunnerDep) -> dict[str, Any]:
    """A running run checkpoints before its next batch and ends as "paused" (its slot is
    freed); a queued one pauses at once. Answers at once: `pausing` is true until then."""
    row = _row(store, run_id, own=True)
    if row.status not in ("queued", "running") or not runner.pause(run_id):
        raise HTTPException(409, f"only a queued or running run can pause; it is {row.status}")
    status = runner.status(run_id)
    return {"id": run_id, "status": status, "pausing": status == "running"}


@router.post("/runs/{run_id}/resume")
def resume_run(
    run_id: str, store: StoreDep, runner: RunnerDep, settings: SettingsDep, library: LibraryDep
) -> dict[str, Any]:
    """Queue a paused run (or a failed one with a checkpoint) again; it carries on from its
    checkpoint and its event stream goes on numbering from the last seq."""
    row = _row(store, run_id, own=True)
    if not _resumable(row, settings):
        why = "" if row.status != "failed" else " without a checkpoint"
        raise HTTPException(
            409,
            f"only a paused run, or a failed one with a checkpoint, can resume; "
            f"it is {row.status}{why}",
        )
    run_quota.check_room(store, settings, new_run=False)
    new_job = _job(
        run_id,
        json.loads(row.spec_json),
        json.loads(row.config_json),
        settings,
        resume=_checkpoint_path(settings, run_id).is_file(),
        init_weights=run_checks.init_weights(
            TrainConfig.model_validate_json(row.config_json), library
        ),
        owner=row.owner_id,
    )
    _admit(store, settings, lambda: runner.resume(new_job))
    return {"id": run_id, "status": runner.status(run_id), "position": runner.position(run_id)}


@router.delete("/runs/{run_id}", status_code=204)
def delete_run(run_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    row = _row(store, run_id, own=True)
    if row.status not in STOPPED:
        raise HTTPException(409, f"the run is {row.status}; cancel it before deleting it")
    store.delete_run(run_id)
    if row.weights_path:
        Path(row.weights_path).unlink(missing_ok=True)
    _checkpoint_path(settings, run_id).unlink(missing_ok=True)
    return Response(status_code=204)


@lru_cache(maxsize=1)  # one run paged at a time; CIFAR-10 held out is ~120 MB
def _heldout(spec_json: str, config_json: str, data_dir: str | None = None) -> tuple[Any, Any]:
    """The run's held-out images (M, C, H, W) in [0, 1] and labels, as its worker saw them."""
    spec = NetworkSpec.model_validate_json(spec_json)
    config = TrainConfig.model_validate_json(config_json)
    channels, height, width = spec.input.shape
    data = run_data(config, channels, height, width, data_dir)
    return data.x_val, data.y_val


@router.get("/runs/{run_id}/misclassified")
def misclassified(
    run_id: str,
    store: StoreDep,
    settings: SettingsDep,
    true: int | None = None,
    pred: int | None = None,
    offset: int = 0,
    limit: int = 24,
) -> dict[str, Any]:
    """Held-out samples a finished run got wrong, the most confident first, optionally only
    one (true, pred) cell of the confusion matrix: image (PNG data URL), labels, confidence.
    `total` counts every wrong sample; the run keeps at most CNNPLAY_MAX_MISCLASSIFIED."""
    row = _row(store, run_id)
    if not row.metrics_json:
        raise HTTPException(409, f"the run has no results yet ({row.status})")
    metrics = json.loads(row.metrics_json)
    k = len(metrics["confusion"])
    labels = metrics.get("labels") or class_labels(
        TrainConfig.model_validate_json(row.config_json).classes, k
    )
    for name, value in (("true", true), ("pred", pred)):
        if value is not None and not 0 <= value < k:
            raise HTTPException(422, f"{name} must be a class index 0..{k - 1}, got {value}")
    if offset < 0:
        raise HTTPException(422, f"offset must be >= 0, got {offset}")
    if not 1 <= limit <= settings.max_misclassified_page:
        raise HTTPException(
            422,
            f"limit must be 1..{settings.max_misclassified_page} "
            f"(CNNPLAY_MAX_MISCLASSIFIED_PAGE), got {limit}",
        )
    kept = metrics.get("misclassified", {"total": 0, "items": []})
    rows = [
        r
        for r in kept["items"]
        if (true is None or r[1] == true) and (pred is None or r[2] == pred)
    ]
    page = rows[offset : offset + limit]
    items = []
    if page:
        try:
            x_val, y_val = _heldout(row.spec_json, row.config_json, str(settings.data_dir))
        except ValueError as exc:  # its dataset was deleted (an upload, a download's cache)
            raise HTTPException(409, f"the run's held-out images are gone: {exc}") from None
        for index, t, p, conf in page:
            image = x_val[index]  # (C, H, W)
            url, _, _ = encode.png_data_url(image)
            items.append(
                {
                    "index": index,
                    "true": t,
                    "pred": p,
                    "true_label": labels[t],
                    "pred_label": labels[p],
                    "confidence": conf,
                    "image": url,
                }
            )
    return {
        "total": kept["total"],
        "kept": len(kept["items"]),
        "matching": len(rows),
        "offset": offset,
        "limit": limit,
        "labels": labels,
        "items": items,
    }
