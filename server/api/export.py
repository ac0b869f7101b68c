"""POST /api/export/pytorch and /api/export/onnx: a NetworkSpec as a downloadable file."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from server.api.deps import SettingsDep
from server.api.shapes import check_size
from server.config import Settings
from server.net.build import TooLarge, check_limits
from server.net.export import ExportError, file_stem, to_onnx_bytes, to_pytorch_code
from server.net.shapes import ShapeError, ShapeReport, infer
from server.net.spec import NetworkSpec

router = APIRouter(prefix="/export", tags=["export"])


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _check(spec: NetworkSpec, settings: Settings) -> ShapeReport:
    """422 naming the layer whose shapes do not work out; 413 past a size limit."""
    check_size(spec, settings)
    report = infer(spec)
    if report.error:
        raise HTTPException(422, f"{report.error['layer']}: {report.error['message']}")
    try:
        check_limits(report, settings.max_params, settings.max_activation_bytes)
    except TooLarge as exc:
        raise HTTPException(413, str(exc)) from exc
    return report


@router.post("/pytorch", response_class=Response)
def export_pytorch(spec: NetworkSpec, settings: SettingsDep) -> Response:
    """Standalone PyTorch source of the network (needs only torch to run)."""
    _check(spec, settings)
    try:
        code = to_pytorch_code(spec)
    except ShapeError as exc:  # already checked above; kept for safety
        raise HTTPException(422, str(exc)) from exc
    return Response(
        code,
        media_type="text/x-python",
        headers=_attachment(f"{file_stem(spec.name)}.py"),
    )


@router.post("/onnx", response_class=Response)
def export_onnx(spec: NetworkSpec, settings: SettingsDep) -> Response:
    """The network as an ONNX model: input "input" (N, C, H, W), output "logits"."""
    report = _check(spec, settings)
    if report.total_params > settings.max_export_params:
        raise HTTPException(
            413,
            f"an ONNX file holds every weight: this network has {report.total_params:,} "
            f"parameters ({report.total_params * 4 / 2**20:,.0f} MB); the limit for export is "
            f"{settings.max_export_params:,} (CNNPLAY_MAX_EXPORT_PARAMS)",
        )
    try:
        data = to_onnx_bytes(
            spec,
            max_params=settings.max_params,
            max_activation_bytes=settings.max_activation_bytes,
        )
    except ShapeError as exc:
        raise HTTPException(422, str(exc)) from exc
    except TooLarge as exc:
        raise HTTPException(413, str(exc)) from exc
    except ExportError as exc:
        raise HTTPException(422, str(exc)[:2000]) from exc
    return Response(
        data,
        media_type="application/octet-stream",
        headers=_attachment(f"{file_stem(spec.name)}.onnx"),
    )
