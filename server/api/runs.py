"""Training runs: POST/GET /api/runs, GET/DELETE /api/runs/{id}, POST .../cancel, and
GET /api/runs/{id}/events, a Server-Sent Events stream (`id:` = seq; Last-Event-ID resumes).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from server.api.deps import SettingsDep, StoreDep
from server.api.shapes import check_size
from server.jobs.executor import QueueFull
from server.jobs.local import LocalExecutor
from server.net import datasets, transfer, weights
from server.net.build import build_module
from server.net.shapes import infer
from server.net.spec import NetworkSpec
from server.net.train import TrainConfig
from server.store import FINISHED, NotFound, RunRow, new_id

router = APIRouter(tags=["runs"])
POLL_S = 0.2  # how often an event stream looks for new rows


def get_runner(request: Request) -> LocalExecutor:
    return request.app.state.runner


RunnerDep = Annotated[LocalExecutor, Depends(get_runner)]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: NetworkSpec
    config: TrainConfig = TrainConfig()


def _check_fit(spec: NetworkSpec, config: TrainConfig, max_params: int) -> None:
    """422 when the network cannot train on the dataset, naming the problem."""
    report = infer(spec)
    if report.error:
        raise HTTPException(422, f"spec: {report.error['layer']}: {report.error['message']}")
    if spec.input.channels != datasets.CHANNELS:
        raise HTTPException(
            422,
            f"spec.input.channels is {spec.input.channels}; {config.dataset} images have "
            f"{datasets.CHANNELS} channel",
        )
    classes = len(config.classes) if config.classes else datasets.NUM_CLASSES[config.dataset]
    if list(report.output_shape) != [classes]:
        raise HTTPException(
            422,
            f"the network's output shape is {tuple(report.output_shape)}; training on "
            f"{config.dataset} needs ({classes},): end with flatten and a linear layer of "
            f"{classes} units",
        )
    if report.total_params > max_params:
        raise HTTPException(
            422,
            f"the network has {report.total_params:,} parameters; the training limit is "
            f"{max_params:,} (CNNPLAY_MAX_TRAIN_PARAMS)",
        )
    try:
        transfer.check_frozen(spec, config.frozen)
    except transfer.FrozenPathError as exc:
        raise HTTPException(422, f"config.{exc}") from exc
    if config.init_from is not None:
        _check_pretrained(spec, config)


def _check_pretrained(spec: NetworkSpec, config: TrainConfig) -> None:
    """422 before queueing when the shipped weights are unknown or do not fit the spec (the
    message names each bad state key); the network is small enough to build here (checked)."""
    try:
        transfer.load_pretrained(build_module(spec), config.init_from or "", config.new_head)
    except (transfer.PretrainedError, weights.WeightsMismatch) as exc:
        raise HTTPException(422, f"config.init_from: {exc}") from exc


def _summary(row: RunRow, runner: LocalExecutor) -> dict[str, Any]:
    spec = json.loads(row.spec_json)
    metrics = json.loads(row.metrics_json) if row.metrics_json else None
    return {
        "id": row.id,
        "status": row.status,
        "position": runner.position(row.id) if row.status == "queued" else None,
        "message": row.message,
        "network": spec.get("name", "Untitled"),
        "config": json.loads(row.config_json),
        "accuracy": metrics["accuracy"] if metrics else None,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
    }


def _row(store: Any, run_id: str) -> RunRow:
    try:
        return store.get_run(run_id)
    except NotFound as exc:
        raise HTTPException(404, f"no run with id {run_id[:64]!r}") from exc


@router.get("/train/datasets")
def list_datasets() -> list[dict[str, Any]]:
    """The datasets a run can use, with their train / held-out sizes."""
    out = []
    for name in datasets.NAMES:
        train, held = datasets.sizes(name)
        out.append(
            {
                "name": name,
                "title": datasets.TITLES[name],
                "train_size": train,
                "val_size": held,
                "num_classes": datasets.NUM_CLASSES[name],
            }
        )
    return out


@router.get("/pretrained")
def list_pretrained() -> list[dict[str, Any]]:
    """The shipped weights a run can start from (config.init_from): source data, classes,
    held-out accuracy."""
    out = []
    for name, entry in transfer.manifest().items():
        classes = entry.get("classes", list(range(entry.get("head", 10))))
        out.append(
            {
                "name": name,
                "zoo": entry["zoo"],
                "source_data": entry.get("source_data", "MNIST digits 0-9"),
                "classes": classes,
                "heldout_accuracy": entry["heldout_accuracy"],
                "heldout_size": entry.get("heldout_size"),
                "train_size": entry.get("train_size"),
            }
        )
    return out


@router.post("/runs", status_code=201)
def create_run(body: RunRequest, settings: SettingsDep, runner: RunnerDep) -> dict[str, Any]:
    """Queue a training run; answers its id, status and place in the queue."""
    check_size(body.spec, settings)
    _check_fit(body.spec, body.config, settings.max_train_params)
    run_id = new_id()
    job = {
        "id": run_id,
        "spec": body.spec.model_dump(mode="json"),
        "config": body.config.model_dump(mode="json"),
        "weights_path": str(settings.data_dir / "runs" / f"{run_id}.safetensors"),
        "max_params": settings.max_train_params,
    }
    try:
        runner.submit(job)
    except QueueFull as exc:
        raise HTTPException(429, str(exc)) from exc
    return {"id": run_id, "status": runner.status(run_id), "position": runner.position(run_id)}


@router.get("/runs")
def list_runs(store: StoreDep, runner: RunnerDep) -> list[dict[str, Any]]:
    """Every run with its settings, status and final accuracy, newest first."""
    return [_summary(row, runner) for row in store.list_runs()]


@router.get("/runs/{run_id}")
def get_run(run_id: str, store: StoreDep, runner: RunnerDep) -> dict[str, Any]:
    """One run: settings, status, the network spec and the final metrics."""
    row = _row(store, run_id)
    out = _summary(row, runner)
    out["spec"] = json.loads(row.spec_json)
    out["metrics"] = json.loads(row.metrics_json) if row.metrics_json else None
    out["has_weights"] = bool(row.weights_path) and Path(row.weights_path or "").is_file()
    return out


@router.post("/runs/{run_id}/cancel")
def cancel_run(run_id: str, store: StoreDep, runner: RunnerDep) -> dict[str, Any]:
    row = _row(store, run_id)
    if row.status in FINISHED:
        raise HTTPException(409, f"the run has already ended ({row.status})")
    runner.cancel(run_id)
    return {"id": run_id, "status": runner.status(run_id)}


@router.delete("/runs/{run_id}", status_code=204)
def delete_run(run_id: str, store: StoreDep) -> Response:
    row = _row(store, run_id)
    if row.status not in FINISHED:
        raise HTTPException(409, f"the run is {row.status}; cancel it before deleting it")
    store.delete_run(run_id)
    if row.weights_path:
        Path(row.weights_path).unlink(missing_ok=True)
    return Response(status_code=204)


def _resume_point(last_event_id: str | None, after: int | None) -> int:
    for value in (last_event_id, after):
        if value is not None:
            try:
                return max(0, int(value))
            except ValueError:
                raise HTTPException(422, "Last-Event-ID must be an integer seq") from None
    return 0


@router.get("/runs/{run_id}/events")
async def run_events(
    run_id: str,
    request: Request,
    store: StoreDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: int | None = None,
) -> StreamingResponse:
    """SSE: every stored event after Last-Event-ID (or ?after=), then new ones as they
    arrive; a final `event: end` once the run has ended and everything was sent."""
    await run_in_threadpool(_row, store, run_id)
    seq = _resume_point(last_event_id, after)

    async def stream() -> AsyncIterator[str]:
        nonlocal seq
        while True:
            # Status first: an event stored before the run ended is then surely seen below.
            try:
                status = (await run_in_threadpool(store.get_run, run_id)).status
            except NotFound:  # deleted while someone watched
                yield f"event: end\ndata: {json.dumps({'status': 'deleted'})}\n\n"
                return
            rows = await run_in_threadpool(store.run_events, run_id, seq)
            for s, text in rows:
                seq = s
                yield f"id: {s}\ndata: {text}\n\n"
            if rows:
                continue  # maybe more than one page
            if status in FINISHED:
                yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_S)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
