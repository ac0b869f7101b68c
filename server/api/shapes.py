"""POST /api/shapes: a NetworkSpec -> shapes, parameters, MACs of every layer."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from server.api.deps import SettingsDep
from server.config import Settings
from server.net.build import TooLarge, check_limits
from server.net.shapes import ShapeReport, infer
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
            f"layers are nested {depth} levels deep (blocks inside blocks); the limit is "
            f"{settings.max_depth} (CNNPLAY_MAX_DEPTH)",
        )


@router.post("/shapes")
def shapes(
    spec: NetworkSpec, settings: SettingsDep, frozen: Annotated[list[str] | None, Query()] = None
) -> Response:
    """Every layer's input and output shape, parameters, MACs, receptive field and
    size formula; `valid: false` with the error's layer when the shapes do not work out."""
    check_size(spec, settings)
    return Response(to_json(infer(spec, frozen or ())), media_type="application/json")


def to_dict(report: ShapeReport) -> dict[str, Any]:
    """The report as plain JSON data. Shallow copies of the dataclasses' fields (all
    ints, strs and lists of ints): dataclasses.asdict and FastAPI's encoder deep-walk
    every value and took 35 of ResNet-152's 40 ms (benchmarks/shapes.py)."""
    out = dict(vars(report))
    out["layers"] = [dict(vars(row)) for row in report.layers]
    return out


def to_json(report: ShapeReport) -> bytes:
    return json.dumps(to_dict(report), separators=(",", ":")).encode()


def checked_report(spec: NetworkSpec, settings: Settings) -> ShapeReport:
    """The report of a spec about to be built: 422 naming the layer whose shapes do not
    work out, 413 past a size limit (layers, params, activation memory)."""
    check_size(spec, settings)
    report = infer(spec)
    if report.error:
        raise HTTPException(422, f"{report.error['layer']}: {report.error['message']}")
    try:
        check_limits(report, settings.max_params, settings.max_activation_bytes)
    except TooLarge as exc:
        raise HTTPException(413, str(exc)) from exc
    return report
