"""Sharing with the class (issue 14): the teacher shares a design or a run (read-only
for students), and anyone copies a design they can read into their own workspace.

PUT /api/networks/{id}/shared, PUT /api/runs/{id}/shared  {"shared": true|false}
POST /api/networks/{id}/copy -> {"id"} of the caller's own copy
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict

from server.api.auth import OwnerUser
from server.api.deps import SettingsDep, StoreDep
from server.api.limits import network_full, network_limits
from server.store import NotFound, StoreFull

router = APIRouter(tags=["sharing"])


class Shared(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shared: bool


@router.put("/networks/{net_id}/shared")
def share_network(
    net_id: str, body: Shared, store: StoreDep, owner: OwnerUser
) -> dict[str, str | bool]:
    """Show a design to the whole class (students can open and copy it, not change it)."""
    try:
        store.set_network_shared(net_id, body.shared)
    except NotFound:
        raise HTTPException(404, f"no saved network with id {net_id[:64]!r}") from None
    return {"id": net_id, "shared": body.shared}


@router.put("/runs/{run_id}/shared")
def share_run(
    run_id: str, body: Shared, store: StoreDep, owner: OwnerUser
) -> dict[str, str | bool]:
    """Show a run (its curves, metrics and weights) to the whole class, read-only."""
    try:
        store.set_run_shared(run_id, body.shared)
    except NotFound:
        raise HTTPException(404, f"no run with id {run_id[:64]!r}") from None
    return {"id": run_id, "shared": body.shared}


@router.get("/class/work")
def class_work(store: StoreDep, owner: OwnerUser) -> dict[str, list[dict[str, Any]]]:
    """Everyone's designs and runs with whose they are and whether the class sees them."""
    names = {u.id: u.name for u in store.list_users()}
    networks = [
        {
            "id": n.id,
            "name": n.name,
            "owner_id": n.owner_id,
            "owner": names.get(n.owner_id, "?"),
            "shared": n.shared,
            "updated_at": n.updated_at,
        }
        for n in store.list_networks()
    ]
    runs = [
        {
            "id": r.id,
            "network": json.loads(r.spec_json).get("name", "Untitled"),
            "status": r.status,
            "owner_id": r.owner_id,
            "owner": names.get(r.owner_id, "?"),
            "shared": r.shared,
            "created_at": r.created_at,
        }
        for r in store.list_runs()
    ]
    return {"networks": networks, "runs": runs}


@router.post("/networks/{net_id}/copy", status_code=201)
def copy_network(net_id: str, store: StoreDep, settings: SettingsDep) -> dict[str, str]:
    """A copy of a design one can read (one's own or a shared one), owned by the caller."""
    try:
        row = store.get_network(net_id)
    except NotFound:
        raise HTTPException(404, f"no saved network with id {net_id[:64]!r}") from None
    try:
        new_id = store.create_network(
            row.name,
            row.spec_json,
            summary_json=row.summary_json,
            frozen_json=row.frozen_json,
            **network_limits(store, settings, len(row.spec_json)),
        )
    except StoreFull as exc:
        raise HTTPException(409, network_full(exc)) from exc
    return {"id": new_id}
