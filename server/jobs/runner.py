"""Starting the configured executor for the web process (local workers for now)."""

from __future__ import annotations

from server.config import Settings
from server.jobs.local import LocalExecutor
from server.store import Store


def start(settings: Settings, store: Store) -> LocalExecutor:
    """Runs a previous process left queued or running can never finish: fail them first."""
    store.fail_unfinished("server restarted")
    (settings.data_dir / "runs").mkdir(parents=True, exist_ok=True)
    executor = LocalExecutor(
        store,
        settings.max_jobs,
        settings.max_queued_jobs,
        warm_workers=settings.warm_workers,
        max_run_seconds=settings.max_run_seconds or None,
    )
    executor.start()
    return executor
