"""POST /api/learning/gradcheck: numerical against analytic gradients, layer by layer.
Thin: validate, call server.net.lab.gradcheck.
"""

from __future__ import annotations

from typing import Literal

import torch
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.api.learning.common import at_most
from server.api.shapes import check_size
from server.net.core.build import TooLarge, build_module
from server.net.core.shapes import ShapeError
from server.net.core.spec import NetworkSpec
from server.net.lab import gradcheck as G

router = APIRouter()


class GradcheckRequest(BaseModel):
    spec: NetworkSpec | None = Field(None, description="default: a tiny net with every kind")
    samples_per_layer: int = Field(10, ge=1)
    eps: float = Field(1e-6, gt=0, le=1e-2)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    broken: bool = False


class LayerCheckOut(BaseModel):
    path: str
    kind: str
    params: int
    sampled: int
    rel_diff: float
    verdict: Literal["fine", "look closer", "bug"]
    inserted: bool


class GradcheckResponse(BaseModel):
    name: str
    layers: list[LayerCheckOut]
    loss: str
    eps: float
    mode: str
    thresholds: dict[str, float]


@router.post("/gradcheck")
def gradcheck(req: GradcheckRequest, settings: SettingsDep) -> GradcheckResponse:
    at_most(
        "samples_per_layer",
        req.samples_per_layer,
        settings.max_gradcheck_samples,
        "MAX_GRADCHECK_SAMPLES",
    )
    spec = req.spec or G.tiny_spec()
    check_size(spec, settings)
    try:
        with torch.random.fork_rng():  # seeded weights, without touching the global generator
            torch.manual_seed(req.seed)
            # float64: twice float32's activation bytes (issue 13: refused before building)
            net = build_module(
                spec,
                max_params=settings.max_gradcheck_params,
                max_activation_bytes=settings.max_activation_bytes // 2,
            )
    except ShapeError as e:
        raise HTTPException(422, f"spec: {e}") from e
    except TooLarge as e:
        raise HTTPException(
            422, f"spec: too large for a float64 gradient check (CNNPLAY_MAX_GRADCHECK_PARAMS): {e}"
        ) from e
    if not any(p.requires_grad for p in net.parameters()):  # found by schemathesis (issue 13)
        raise HTTPException(422, "spec: the network has no parameters to check gradients of")
    result = G.check(
        net,
        spec.input.shape,
        samples_per_layer=req.samples_per_layer,
        eps=req.eps,
        seed=req.seed,
        broken=req.broken,
    )
    return GradcheckResponse(
        name=spec.name,
        layers=[LayerCheckOut(**vars(c)) for c in result.layers],
        loss=result.loss,
        eps=result.eps,
        mode=result.note,
        thresholds={"fine": G.FINE, "bug": G.BUG},
    )
