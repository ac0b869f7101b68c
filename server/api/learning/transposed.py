"""POST /api/learning/transposed: how a transposed convolution spreads each input value
over its output, step by step, and where the windows overlap. Thin: validate, call
server.net.lab.transposed."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.api.learning.common import at_most
from server.net.lab import transposed as T

router = APIRouter()


class TransposedRequest(BaseModel):
    n: int = Field(3, ge=1, description="input height and width")
    kernel_size: int = Field(3, ge=1)
    stride: int = Field(2, ge=1, le=8)
    padding: int = Field(0, ge=0, le=8)
    output_padding: int = Field(0, ge=0, le=7)
    input: T.InputKind = "ramp"
    kernel: T.KernelKind = "ones"
    seed: int = Field(0, ge=0, le=2**31 - 1)


class TransposedResponse(BaseModel):
    input: list[list[float]]  # (n, n)
    kernel: list[list[float]]  # (f, f)
    output: list[list[float]]  # (o, o)
    overlap: list[list[int]]  # (o, o): windows covering each output cell
    steps: list[list[list[float]]]  # (n*n, o, o): after each input cell, row by row
    stride: int
    padding: int
    formula: str
    checkerboard: bool


@router.post("/transposed")
def transposed(req: TransposedRequest, settings: SettingsDep) -> TransposedResponse:
    at_most("n", req.n, settings.max_transposed_input, "MAX_TRANSPOSED_INPUT")
    at_most("kernel_size", req.kernel_size, settings.max_transposed_kernel, "MAX_TRANSPOSED_KERNEL")
    x = T.values(req.input, req.n, req.seed)
    k = T.values(req.kernel, req.kernel_size, req.seed + 1)
    try:
        out = T.spread(x, k, req.stride, req.padding, req.output_padding)
    except T.SpreadError as exc:
        raise HTTPException(422, str(exc)) from None
    return TransposedResponse(
        input=out.input.tolist(),
        kernel=out.kernel.tolist(),
        output=out.output.tolist(),
        overlap=out.overlap.int().tolist(),
        steps=out.steps.tolist(),
        stride=req.stride,
        padding=req.padding,
        formula=out.formula,
        checkerboard=out.checkerboard,
    )
