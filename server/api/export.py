"""POST /api/export/pytorch and /api/export/onnx: a network as a downloadable file.

The body is a NetworkSpec (fresh weights), or {"weights": "<weights id>"} for any entry
of the weights library (a run, an import, a download), optionally with a "spec" those
weights fit (issue 17). With weights, the ONNX file holds them, and the PyTorch source
says how to load the downloaded safetensors file.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from safetensors.torch import load_file

from server.api.deps import SettingsDep
from server.api.shapes import checked_report
from server.api.weights import LibraryDep, download_name
from server.net.core.export import ExportError, file_stem, to_onnx_bytes, to_pytorch_code
from server.net.core.shapes import ShapeError
from server.net.core.spec import NetworkSpec
from server.net.weights import library as lib
from server.net.weights.files import load

router = APIRouter(prefix="/export", tags=["export"])


class WeightsExport(BaseModel):
    """Export the weights of a library entry (its own spec unless one is given)."""

    model_config = ConfigDict(extra="forbid")
    weights: Annotated[str, Field(min_length=1, max_length=200)]
    spec: NetworkSpec | None = None


ExportBody = Annotated[
    dict[str, Any],
    Body(
        description='a NetworkSpec, or {"weights": "<weights id>", "spec"?: NetworkSpec}',
        openapi_examples={
            "spec": {"value": {"name": "Tiny", "layers": [{"type": "flatten"}]}},
            "weights": {"value": {"weights": "mnist_cnn"}},
        },
    ),
]


def _request(body: dict[str, Any]) -> NetworkSpec | WeightsExport:
    """Validate the body as the form it has; 422 naming the field like FastAPI does."""
    model: type[BaseModel] = WeightsExport if "weights" in body else NetworkSpec
    try:
        return model.model_validate(body)  # type: ignore[return-value]
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None


def _network(body: dict[str, Any], library: LibraryDep) -> tuple[NetworkSpec, lib.Entry | None]:
    request = _request(body)
    if isinstance(request, NetworkSpec):
        return request, None
    entry = library.get(request.weights)  # 404 for an unknown id
    return request.spec or entry.spec, entry


def _fit(spec: NetworkSpec, entry: lib.Entry) -> None:
    """A spec given with a weights id must take those weights: 422 naming the bad keys."""
    if spec == entry.spec:
        return
    try:
        lib.check_fit(spec, load_file(str(entry.path)))
    except lib.BadWeights as exc:
        raise HTTPException(422, f"weights: {entry.id} do not fit the spec: {exc}") from None


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.post("/pytorch", response_class=Response)
def export_pytorch(body: ExportBody, settings: SettingsDep, library: LibraryDep) -> Response:
    """Standalone PyTorch source of the network (needs only torch to run)."""
    spec, entry = _network(body, library)
    checked_report(spec, settings)
    weights = None
    if entry is not None:
        _fit(spec, entry)
        weights = (entry.id, download_name(entry))
    try:
        code = to_pytorch_code(spec, weights=weights)
    except ShapeError as exc:  # already checked above; kept for safety
        raise HTTPException(422, str(exc)) from exc
    return Response(
        code,
        media_type="text/x-python",
        headers=_attachment(f"{file_stem(spec.name)}.py"),
    )


@router.post("/onnx", response_class=Response)
def export_onnx(body: ExportBody, settings: SettingsDep, library: LibraryDep) -> Response:
    """The network as an ONNX model: input "input" (N, C, H, W), output "logits"; with
    a weights id, those weights, else a fresh initialisation."""
    spec, entry = _network(body, library)
    report = checked_report(spec, settings)
    if report.total_params > settings.max_export_params:
        raise HTTPException(
            413,
            f"an ONNX file holds every weight: this network has {report.total_params:,} "
            f"parameters ({report.total_params * 4 / 2**20:,.0f} MB); the limit for export is "
            f"{settings.max_export_params:,} (CNNPLAY_MAX_EXPORT_PARAMS)",
        )
    module = None
    if entry is not None:
        _fit(spec, entry)
        module = load(spec, entry.path)  # eval mode, the entry's weights
    try:
        data = to_onnx_bytes(spec, module=module)  # checked_report above: limits hold
    except ExportError as exc:
        raise HTTPException(422, str(exc)[:2000]) from exc
    return Response(
        data,
        media_type="application/octet-stream",
        headers=_attachment(f"{file_stem(spec.name)}.onnx"),
    )
