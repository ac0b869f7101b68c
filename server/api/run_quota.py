"""Disk quotas of training runs (issue 13): how many runs are kept, and the bytes of all
their stored events. A new run (or a resumed one, which writes more events) past either
is refused with a 409 that names the setting; deleting old runs makes room.

A run's iteration points are thinned to a bounded number (server/store/events.py), so a
run admitted under the quota adds a bounded amount whatever its length."""

from __future__ import annotations

from fastapi import HTTPException

from server.config import Settings
from server.store import Store


def check_room(store: Store, settings: Settings, new_run: bool = True) -> None:
    runs, size = store.event_usage()
    if new_run and runs >= settings.max_runs:
        raise HTTPException(
            409,
            f"{runs:,} training runs are kept, the limit (CNNPLAY_MAX_RUNS="
            f"{settings.max_runs:,}); delete old runs first",
        )
    if size >= settings.max_run_event_bytes:
        raise HTTPException(
            409,
            f"the stored events of all runs take {size:,} bytes, the limit "
            f"(CNNPLAY_MAX_RUN_EVENT_BYTES={settings.max_run_event_bytes:,}); "
            "delete old runs first",
        )
