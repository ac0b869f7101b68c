"""POST /api/shapes: a NetworkSpec -> shapes, parameters, MACs of every layer."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from server.api.deps import SettingsDep
from server.config import Settings
from server.net.shapes import infer
from server.net.spec import NetworkSpec, count_layers, nesting_depth

router = APIRouter(tags=["shapes"])


def check_size(spec: NetworkSpec, settings: Settings) -> None:
    """Refuse a spec past the layer-count or nesting limit (422, naming the limit)."""
    n = count_layers(spec.layers)
    if n > settings.max_layers:
        raise HTTPException(
            422,
            f"the spec has {n:,} layers; the limit is {settings.max_layers:,} (CNNPLAY_MAX_LAYERS)",
        )
    depth = nesting_depth(spec.layers)
    if depth > settings.max_depth:
        raise HTTPException(
            422,
            f"blocks are nested {depth} deep; the limit is {settings.max_depth} "
            "(CNNPLAY_MAX_DEPTH)",
        )


@router.post("/shapes")
def shapes(
    spec: NetworkSpec, settings: SettingsDep, frozen: Annotated[list[str] | None, Query()] = None
) -> dict[str, Any]:
    """Every layer's input and output shape, parameters, MACs, receptive field and
    size formula; `valid: false` with the error's layer when the shapes do not work out."""
    check_size(spec, settings)
    return asdict(infer(spec, frozen or ()))
