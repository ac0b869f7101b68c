"""Starting the configured executor for the web process (CNNPLAY_EXECUTOR: local worker
processes, or Ray work on a cluster, issue 15), and queueing again what a previous server
left unfinished."""

from __future__ import annotations

import json

from server.config import Settings
from server.jobs.dispatch import SERVER_STOPPED, Dispatch
from server.jobs.executor import QueueFull
from server.jobs.job import checkpoint_path, make_job
from server.store import NotFound, RunRow, Store


def make(settings: Settings, store: Store) -> Dispatch:
    """The configured executor, not started."""
    common = {
        "warm_workers": settings.warm_workers,
        "max_run_seconds": settings.max_run_seconds or None,
    }
    if settings.executor == "ray":
        from server.jobs.ray_executor import RayExecutor  # Ray is an optional extra

        return RayExecutor(
            store,
            settings.max_jobs,
            settings.max_queued_jobs,
            address=settings.ray_address,
            gpu_min_params=settings.ray_gpu_min_params,
            **common,
        )
    from server.jobs.local import LocalExecutor

    return LocalExecutor(store, settings.max_jobs, settings.max_queued_jobs, **common)


def start(settings: Settings, store: Store) -> Dispatch:
    (settings.data_dir / "runs").mkdir(parents=True, exist_ok=True)
    executor = make(settings, store)
    executor.start()
    recover(settings, store, executor)
    return executor


def unfinished(store: Store) -> list[RunRow]:
    """Runs a previous server left queued, running (it crashed) or paused by its own stop,
    oldest first. A user's pause is not among them."""
    rows = [
        r
        for r in store.list_runs()
        if r.status in ("queued", "running")
        or (r.status == "paused" and r.message.startswith(SERVER_STOPPED))
    ]
    return rows[::-1]  # list_runs is newest first


def recover(settings: Settings, store: Store, executor: Dispatch) -> int:
    """Queue those runs again in their original order, each from its checkpoint where it
    has one; a run that cannot (its init_from weights are gone, the queue is full) fails
    or stays paused with the reason. Returns how many were queued."""
    queued = 0
    for row in unfinished(store):
        try:
            init = _init_weights(settings, store, row)
        except LookupError as exc:
            store.set_run_status(row.id, "failed", f"the server restarted; {exc}")
            continue
        job = make_job(
            row.id,
            json.loads(row.spec_json),
            json.loads(row.config_json),
            settings,
            resume=checkpoint_path(settings, row.id).is_file(),
            init_weights=init,
            owner=row.owner_id,
        )
        try:
            executor.resume(job)
        except QueueFull as exc:
            store.set_run_status(row.id, "paused", f"{SERVER_STOPPED}; not queued again: {exc}")
            continue
        queued += 1
    return queued


def _init_weights(settings: Settings, store: Store, row: RunRow) -> str | None:
    """config.init_from's file, as the runs API found it when the run was made."""
    init_from = json.loads(row.config_json).get("init_from")
    if not init_from:
        return None
    import models
    from server.net.weights import library

    def get_run(run_id: str) -> RunRow:
        try:
            return store.get_run(run_id)
        except NotFound as exc:
            raise LookupError(run_id) from exc

    try:
        return str(library.find(init_from, settings.data_dir, get_run, models.get).path)
    except library.NotFound as exc:
        raise LookupError(f"its init_from weights {init_from!r} are gone") from exc
