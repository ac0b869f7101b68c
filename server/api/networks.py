"""Saved designs: POST/GET /api/networks, GET/PUT/DELETE /api/networks/{id}.

The body of a save is a NetworkSpec; its `name` is the design's name. The spec is
stored as the JSON pydantic writes, so a stored design always validates again.
The designer's layer locks travel beside it as `?frozen=layers.0&frozen=layers.3`
(the same query as POST /api/shapes) and come back as `frozen` from GET.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from server.api.deps import SettingsDep, StoreDep
from server.api.limits import network_full, network_limits
from server.api.shapes import check_size
from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec, layer_paths
from server.store import NotFound, StoreFull

router = APIRouter(tags=["networks"])


def _summary(spec: NetworkSpec) -> dict[str, Any]:
    """What the list shows of a design; stored with it, so listing infers nothing."""
    report = infer(spec)
    return {
        "total_params": report.total_params,
        "valid": report.valid,
        "input_shape": report.input_shape,
    }


def _summary_json(spec: NetworkSpec) -> str:
    return json.dumps(_summary(spec))


FrozenQuery = Annotated[list[str] | None, Query(max_length=2_000)]


def _frozen_json(spec: NetworkSpec, frozen: list[str] | None) -> str | None:
    """The locks as stored; a path that is no layer of the design is a 422 naming it."""
    if not frozen:
        return None
    known = layer_paths(spec.layers)
    for path in frozen:
        if path not in known:
            raise HTTPException(
                422, f"frozen: {path[:100]!r} is not a layer path of this design (layers.N...)"
            )
    return json.dumps(sorted(set(frozen)))


def _not_found(net_id: str) -> HTTPException:
    return HTTPException(404, f"no saved network with id {net_id[:64]!r}")


@router.post("/networks", status_code=201)
def create_network(
    spec: NetworkSpec, settings: SettingsDep, store: StoreDep, frozen: FrozenQuery = None
) -> dict[str, str]:
    """Save a design (and its layer locks); returns its new id."""
    check_size(spec, settings)
    frozen_json = _frozen_json(spec, frozen)
    spec_json = spec.model_dump_json()
    try:
        net_id = store.create_network(
            spec.name,
            spec_json,
            summary_json=_summary_json(spec),
            frozen_json=frozen_json,
            **network_limits(store, settings, len(spec_json)),
        )
    except StoreFull as exc:
        raise HTTPException(409, network_full(exc)) from exc
    return {"id": net_id}


@router.get("/networks")
def list_networks(store: StoreDep) -> list[dict[str, Any]]:
    """Every saved design with its parameter count, most recently updated first."""
    out = []
    for row in store.list_networks():
        summary = (
            json.loads(row.summary_json)
            if row.summary_json is not None  # saved before summaries were stored
            else _summary(NetworkSpec.model_validate_json(row.spec_json))
        )
        out.append(
            {
                "id": row.id,
                "name": row.name,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "owner_id": row.owner_id,  # another's shared design is read-only (issue 14)
                "shared": row.shared,
                **summary,
            }
        )
    return out


@router.get("/networks/{net_id}")
def get_network(net_id: str, store: StoreDep) -> dict[str, Any]:
    try:
        row = store.get_network(net_id)
    except NotFound as exc:
        raise _not_found(net_id) from exc
    return {
        "id": row.id,
        "name": row.name,
        "spec": NetworkSpec.model_validate_json(row.spec_json).model_dump(mode="json"),
        "frozen": json.loads(row.frozen_json) if row.frozen_json else [],
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "owner_id": row.owner_id,
        "shared": row.shared,
    }


@router.put("/networks/{net_id}")
def update_network(
    net_id: str,
    spec: NetworkSpec,
    settings: SettingsDep,
    store: StoreDep,
    frozen: FrozenQuery = None,
) -> dict[str, str]:
    """Replace a saved design and its locks (its name comes from the spec)."""
    check_size(spec, settings)
    frozen_json = _frozen_json(spec, frozen)
    try:
        store.update_network(
            net_id, spec.name, spec.model_dump_json(), _summary_json(spec), frozen_json
        )
    except NotFound as exc:
        raise _not_found(net_id) from exc
    return {"id": net_id}


@router.delete("/networks/{net_id}", status_code=204)
def delete_network(net_id: str, store: StoreDep) -> Response:
    try:
        store.delete_network(net_id)
    except NotFound as exc:
        raise _not_found(net_id) from exc
    return Response(status_code=204)
