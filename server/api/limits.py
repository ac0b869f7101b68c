"""Per-user limits (issue 14), checked when something is created: a student's saved
designs, queued + running runs and stored bytes (Settings: CNNPLAY_MAX_USER_*). The
teacher is bound only by the server-wide limits."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from server.config import Settings
from server.store import Store, StoreFull


def check_bytes(store: Store, settings: Settings, adding: int) -> None:
    """409 when storing `adding` more bytes would take the user past their quota."""
    if store.sees_all:
        return
    used = store.usage(store.user_id).stored_bytes
    if used + adding > settings.max_user_bytes:
        raise HTTPException(
            409,
            f"you store {used:,} bytes; {adding:,} more would pass the limit of "
            f"{settings.max_user_bytes:,} bytes per user (CNNPLAY_MAX_USER_BYTES); "
            "delete a design, dataset or weights file first",
        )


def network_limits(store: Store, settings: Settings, adding: int) -> dict[str, Any]:
    """The row limits for store.create_network, after checking the byte quota."""
    check_bytes(store, settings, adding)
    return {
        "max_rows": settings.max_saved_networks,
        "max_own": None if store.sees_all else settings.max_user_networks,
    }


def network_full(exc: StoreFull) -> str:
    """The 409 message of a save past a row limit."""
    if exc.per_user:
        return (
            f"you have {exc.limit:,} saved designs, the limit per user "
            "(CNNPLAY_MAX_USER_NETWORKS); delete one to save another"
        )
    return (
        f"{exc.limit:,} designs are saved, the limit (CNNPLAY_MAX_SAVED_NETWORKS); "
        "delete one to save another"
    )


def check_jobs(store: Store, settings: Settings) -> None:
    """429 when the user already has their share of queued + running runs."""
    if store.sees_all:
        return
    active = store.count_active_runs(store.user_id)
    if active >= settings.max_user_jobs:
        raise HTTPException(
            429,
            f"you have {active} runs queued or running, the limit per user "
            "(CNNPLAY_MAX_USER_JOBS); wait for one to finish or cancel one",
        )
