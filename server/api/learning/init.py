"""POST /api/learning/init (issue 8): per-layer activation histograms of a deep linear
stack under four initializations. Thin: validate against the Settings limits, call
server.net.lab.init_stats.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import SettingsDep
from server.api.learning.common import ActivationStats, at_most
from server.net.lab import init_stats as IS

router = APIRouter()


class InitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    depth: int = Field(10, ge=1)
    width: int = Field(128, ge=1)
    activation: IS.Activation = "tanh"
    inits: list[IS.Init] = Field(default_factory=lambda: list(IS.INITS), min_length=1)
    batch: int = Field(256, ge=2, description="rows of N(0, 1) input")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    bins: int = Field(30, ge=2, le=200)


class InitLayerOut(ActivationStats):
    layer: int = Field(description="1-based: h_k = act(W_k h_(k-1))")
    second_moment: float = Field(description="E[h^2]")
    identical_units: bool = Field(description="every unit gives the same value on every input")


class InitRunOut(BaseModel):
    init: IS.Init
    title: str
    layers: list[InitLayerOut]


class InitResponse(BaseModel):
    depth: int
    width: int
    activation: str
    batch: int
    runs: list[InitRunOut]


@router.post("/init")
def init_stats(req: InitRequest, settings: SettingsDep) -> InitResponse:
    """Activation statistics of `depth` layers h = act(W h), no bias, under each init."""
    at_most("depth", req.depth, settings.max_init_depth, "MAX_INIT_DEPTH", " layers")
    at_most("width", req.width, settings.max_init_width, "MAX_INIT_WIDTH", " units")
    at_most("batch", req.batch, settings.max_init_batch, "MAX_INIT_BATCH", " rows")
    inits = list(dict.fromkeys(req.inits))
    cost = IS.macs(req.depth, req.width, req.batch, len(inits))
    if cost > settings.max_init_macs:
        # Say what fits, not only what does not (issue 18: the panel shows this line).
        deepest = settings.max_init_macs // IS.macs(1, req.width, req.batch, len(inits))
        raise HTTPException(
            422,
            f"depth: {req.depth} layers of {req.width} units x {req.batch} inputs x "
            f"{len(inits)} inits is {cost:,} multiply-adds; the limit is "
            f"{settings.max_init_macs:,} (CNNPLAY_MAX_INIT_MACS): at this width and batch "
            f"at most {deepest} layers, or lower the width or batch",
        )
    runs = IS.run(req.depth, req.width, req.activation, inits, req.batch, req.seed, req.bins)
    return InitResponse(
        depth=req.depth,
        width=req.width,
        activation=req.activation,
        batch=req.batch,
        runs=[
            InitRunOut(
                init=r.init,
                title=r.title,
                layers=[
                    InitLayerOut(
                        layer=s.layer,
                        hist=s.hist.counts,
                        lo=s.hist.lo,
                        hi=s.hist.hi,
                        mean=s.hist.mean,
                        std=s.hist.std,
                        zeros=s.hist.zeros,
                        saturated=s.hist.saturated,
                        second_moment=s.second_moment,
                        identical_units=s.identical_units,
                    )
                    for s in r.layers
                ],
            )
            for r in runs
        ],
    )
