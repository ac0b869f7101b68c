"""POST /api/export/pytorch and /api/export/onnx: a NetworkSpec as a downloadable file."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from server.api.deps import SettingsDep
from server.api.shapes import checked_report
from server.net.core.export import ExportError, file_stem, to_onnx_bytes, to_pytorch_code
from server.net.core.shapes import ShapeError
from server.net.core.spec import NetworkSpec

router = APIRouter(prefix="/export", tags=["export"])


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.post("/pytorch", response_class=Response)
def export_pytorch(spec: NetworkSpec, settings: SettingsDep) -> Response:
    """Standalone PyTorch source of the network (needs only torch to run)."""
    checked_report(spec, settings)
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
    report = checked_report(spec, settings)
    if report.total_params > settings.max_export_params:
        raise HTTPException(
            413,
            f"an ONNX file holds every weight: this network has {report.total_params:,} "
            f"parameters ({report.total_params * 4 / 2**20:,.0f} MB); the limit for export is "
            f"{settings.max_export_params:,} (CNNPLAY_MAX_EXPORT_PARAMS)",
        )
    try:
        data = to_onnx_bytes(spec)  # checked_report above: shapes and size limits hold
    except ExportError as exc:
        raise HTTPException(422, str(exc)[:2000]) from exc
    return Response(
        data,
        media_type="application/octet-stream",
        headers=_attachment(f"{file_stem(spec.name)}.onnx"),
    )
