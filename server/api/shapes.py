"""POST /api/shapes: a NetworkSpec -> shapes, parameters, MACs of every layer."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic_core
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from server.api.deps import SettingsDep
from server.config import Settings
from server.net.core.build import TooLarge, check_limits
from server.net.core.shapes import ShapeReport, infer
from server.net.core.spec import NetworkSpec, measure

router = APIRouter(tags=["shapes"])


def check_size(spec: NetworkSpec, settings: Settings) -> None:
    """Refuse a spec past the layer-count or nesting limit (422, naming the limit)."""
    n, depth = measure(spec.layers)
    if n > settings.max_layers:
        raise HTTPException(
            422,
            f"the spec has {n:,} layers; the limit is {settings.max_layers:,} (CNNPLAY_MAX_LAYERS)",
        )
    if depth > settings.max_depth:
        raise HTTPException(
            422,
            f"layers are nested {depth} levels deep (blocks inside blocks); the limit is "
            f"{settings.max_depth} (CNNPLAY_MAX_DEPTH)",
        )


def _is_json(content_type: str) -> bool:
    """application/json or application/<anything>+json, as FastAPI accepts them."""
    kind = content_type.partition(";")[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


async def spec_body(request: Request) -> NetworkSpec:
    """The request body as a NetworkSpec, parsed and validated in one pass by pydantic's
    JSON parser. FastAPI's own way (json.loads into dicts, then validating the dicts)
    took 1.6 times as long for ResNet-152 (benchmarks/shapes.py --stages). Mistakes are
    the same 422s naming the field ("body", "layers", 3, ...); bad JSON says its line
    and column, and JSON nested past the parser's limit is "nested too deeply"
    (server/api/errors.py)."""
    body = await request.body()
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    if not _is_json(request.headers.get("content-type", "")):
        raise RequestValidationError(
            [
                {
                    "type": "content_type",
                    "loc": ("body",),
                    "msg": "send the NetworkSpec as JSON, with content-type: application/json",
                    "input": None,
                }
            ]
        )
    try:
        return NetworkSpec.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


# The docs show the body FastAPI would have read; tests/api/test_shapes.py checks
# that the reference resolves.
BODY_DOCS = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/NetworkSpec-Input"}}
        },
    }
}


@router.post("/shapes", openapi_extra=BODY_DOCS)
def shapes(
    spec: Annotated[NetworkSpec, Depends(spec_body)],
    settings: SettingsDep,
    frozen: Annotated[list[str] | None, Query()] = None,
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
    """Compact JSON bytes, written by pydantic's Rust serializer: half the time of
    json.dumps on ResNet-152's 112 KB report (benchmarks/shapes.py)."""
    return pydantic_core.to_json(to_dict(report))


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
