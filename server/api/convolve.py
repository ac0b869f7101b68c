"""POST /api/convolve (the animator's numbers), POST /api/images, GET /api/kernels.

Thin: pick the input (array, preset or uploaded image), call server.net.lab.convolve,
return a readable neighbourhood plus the whole output as PNG images.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.config import Settings
from server.net.core import encode
from server.net.data.images import sample_photo, to_tensor
from server.net.lab import convolve as C
from server.net.lab.kernels import KERNELS

router = APIRouter(tags=["convolve"])

Matrix = list[list[float]]


class ConvolveRequest(BaseModel):
    input: Matrix | list[Matrix] | None = Field(None, description="(H, W) or (C, H, W) numbers")
    preset: Literal["textbook", "textbook-rgb", "mnist", "china", "flower"] | None = None
    image_id: str | None = Field(None, max_length=64, description="from POST /api/images")
    index: int = Field(0, ge=0, description="MNIST test image index")
    mode: Literal["L", "RGB"] = "L"
    size: int | None = Field(
        None,
        ge=4,
        description="longer side of an image input, in pixels (default and cap: max_conv_side)",
    )
    op: Literal["conv", "maxpool", "avgpool"] = "conv"
    kernel: list[list[Matrix]] | None = Field(None, description="c' x c x f x f")
    kernel_name: str | None = Field(None, description="a classic kernel, on every channel")
    bias: list[float] | None = None
    kernel_size: int = Field(2, ge=1, description="pooling window f")
    stride: int = Field(1, ge=1, le=16)
    padding: int = Field(0, ge=0, le=16)
    dilation: int = Field(1, ge=1, le=16)
    focus: tuple[int, int] = (0, 0)


def _finite(t: torch.Tensor, field: str) -> torch.Tensor:
    """422 naming `field` for an empty array or a value float32 cannot hold (NaN, inf,
    1e39: issue 13, they came back as nulls)."""
    if t.numel() == 0:
        raise HTTPException(422, f"{field}: must not be empty")
    if not bool(torch.isfinite(t).all()):
        raise HTTPException(
            422, f"{field}: every value must be a finite number within float32 (|x| < 3.4e38)"
        )
    return t


def _input(req: ConvolveRequest, request: Request, settings: Settings) -> torch.Tensor:
    """The request's input as (C, H, W) float32."""
    given = [req.input is not None, req.preset is not None, req.image_id is not None]
    if sum(given) != 1:
        raise HTTPException(422, "give exactly one of input, preset, image_id")
    # A photo at its useful size (issue 18: a fixed 64 made 640x427 photos 43x64).
    size = min(req.size or settings.max_conv_side, settings.max_conv_side)
    if req.input is not None:
        try:
            x = torch.tensor(req.input, dtype=torch.float32)
        except (ValueError, TypeError):
            raise HTTPException(422, "input: rows must all have the same length") from None
        x = _finite(x, "input")
        if x.ndim not in (2, 3):
            raise HTTPException(422, "input: an (H, W) or (C, H, W) array of numbers")
        x = x[None] if x.ndim == 2 else x
        if min(x.shape) == 0:
            raise HTTPException(422, "input: must have at least one channel, row and column")
        if x.shape[0] > settings.max_conv_channels or max(x.shape[1:]) > settings.max_conv_side:
            raise HTTPException(
                422,
                f"input: at most {settings.max_conv_channels} channels and "
                f"{settings.max_conv_side} cells a side",
            )
        return x
    if req.preset in ("textbook", "textbook-rgb"):
        return C.textbook(3 if req.preset == "textbook-rgb" else 1)
    if req.preset == "mnist":
        try:
            return C.mnist_digit(req.index)
        except C.ConvError as exc:
            raise HTTPException(422, f"index: {exc}") from None
    if req.preset is not None:
        return to_tensor(sample_photo(req.preset), req.mode, size)
    img = request.app.state.images.get(req.image_id or "", request.state.user)  # issue 14
    if img is None:
        raise HTTPException(404, "image_id: no such uploaded image (it may have expired)")
    return to_tensor(img, req.mode, size)


def _weight(req: ConvolveRequest, channels: int, settings: Settings) -> torch.Tensor | None:
    if req.op != "conv":
        if req.kernel_size > settings.max_conv_kernel:
            raise HTTPException(422, f"kernel_size: at most {settings.max_conv_kernel}")
        return None
    if req.kernel_name is not None:
        if req.kernel_name not in KERNELS:
            raise HTTPException(
                422, f"kernel_name: unknown {req.kernel_name!r}; one of {', '.join(KERNELS)}"
            )
        return C.named_weight(req.kernel_name, channels)
    if req.kernel is None:
        raise HTTPException(422, "kernel: give kernel values or a kernel_name")
    try:
        w = torch.tensor(req.kernel, dtype=torch.float32)
    except (ValueError, TypeError):
        raise HTTPException(422, "kernel: must be a full c' x c x f x f array") from None
    _finite(w, "kernel")
    if w.shape[0] > settings.max_conv_channels or w.shape[-1] > settings.max_conv_kernel:
        raise HTTPException(
            422,
            f"kernel: at most {settings.max_conv_channels} filters of "
            f"{settings.max_conv_kernel}x{settings.max_conv_kernel}",
        )
    return w


@router.post("/convolve")
def convolve(req: ConvolveRequest, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Run the op with torch; return the padded neighbourhood, its output cells, the
    argmax for max pooling, the size formula, and the whole output as PNGs."""
    x = _input(req, request, settings)
    weight = _weight(req, x.shape[0], settings)
    bias = None
    if req.bias is not None and req.op == "conv":
        if weight is None or len(req.bias) != weight.shape[0]:
            raise HTTPException(422, "bias: one number per filter")
        bias = _finite(torch.tensor(req.bias, dtype=torch.float32), "bias")
    try:
        res = C.convolve(
            x, req.op, weight, bias, req.kernel_size, req.stride, req.padding, req.dilation
        )
    except C.ConvError as exc:
        raise HTTPException(422, str(exc)) from None
    if not bool(torch.isfinite(res.output).all()):
        raise HTTPException(422, "input, kernel: the output overflows float32; use smaller numbers")
    f = weight.shape[-1] if weight is not None else req.kernel_size
    win = C.neighbourhood(
        res, f, req.stride, req.dilation, req.padding, req.focus, settings.conv_window_cells
    )
    images = [dict(zip(("src", "min", "max"), encode.png_data_url(ch))) for ch in res.output]
    in_src, in_lo, in_hi = encode.png_data_url(x if x.shape[0] == 3 else x[:1])
    return {
        "op": req.op,
        "input_shape": list(x.shape),
        "output_shape": list(res.output.shape),
        "kernel_size": f,
        "stride": req.stride,
        "padding": req.padding,
        "dilation": req.dilation,
        "formula": res.formula,
        "pad_value": "-inf" if req.op == "maxpool" else 0,
        "weight": encode.nested(weight) if weight is not None else None,
        "bias": encode.nested(bias) if bias is not None else None,
        "window": {
            "out_row": win.out_row,
            "out_col": win.out_col,
            "in_row": win.in_row,
            "in_col": win.in_col,
            "padded": encode.nested(win.padded),
            "output": encode.nested(win.output),
            "indices": encode.nested(win.indices) if win.indices is not None else None,
        },
        "input_image": {"src": in_src, "min": in_lo, "max": in_hi},
        "output_images": images,
    }


@router.get("/kernels")
def kernels() -> list[dict[str, Any]]:
    """The classic kernels: name, title, values (f x f), a note on what each detects."""
    return [
        {"name": k.name, "title": k.title, "values": k.values, "note": k.note}
        for k in KERNELS.values()
    ]
