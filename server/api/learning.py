"""POST /api/learning/optimizers, /ewa, /gradcheck, /modes: the "inside learning" panels (issue 8).

Thin: validate, call server.net.lab.optim_paths / server.net.lab.ewa, return numbers to draw.
"""

from __future__ import annotations

from typing import Literal

import torch
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.net.core.build import TooLarge, build_module
from server.net.core.shapes import ShapeError
from server.net.core.spec import NetworkSpec
from server.net.lab import ewa as E
from server.net.lab import gradcheck as G
from server.net.lab import modes as MD
from server.net.lab import optim_paths as O

router = APIRouter(prefix="/learning", tags=["learning"])

GRID = 60  # contour grid cells a side


class OptimizerIn(BaseModel):
    name: Literal["sgd", "momentum", "rmsprop", "adam"]
    lr: float = Field(gt=0, le=10)
    momentum: float = Field(0.9, ge=0, lt=1)
    beta1: float = Field(0.9, ge=0, lt=1)
    beta2: float = Field(0.999, ge=0, lt=1)
    alpha: float = Field(0.99, ge=0, lt=1)


class OptimizersRequest(BaseModel):
    surface: Literal["elongated", "elongated_scaled", "saddle", "rosenbrock"] = "elongated"
    start: tuple[float, float] | None = Field(None, description="[x, y]; default per surface")
    steps: int = Field(100, ge=1)
    optimizers: list[OptimizerIn] = Field(min_length=1, max_length=8)


class PathOut(BaseModel):
    name: str
    points: list[list[float]]  # [[x, y, loss], ...]: the start, then one per step
    diverged: bool


class OptimizersResponse(BaseModel):
    surface: str
    start: tuple[float, float]
    minimum: tuple[float, float] | None
    grid: dict
    paths: list[PathOut]


@router.get("/surfaces")
def surfaces() -> list[dict]:
    return [
        {"name": k, "x_range": s.x_range, "y_range": s.y_range, "start": s.start}
        for k, s in O.SURFACES.items()
    ]


@router.post("/optimizers")
def optimizers(req: OptimizersRequest, settings: SettingsDep) -> OptimizersResponse:
    limit = settings.max_optim_steps
    if req.steps > limit:
        raise HTTPException(
            422, f"steps: at most {limit} steps (CNNPLAY_MAX_OPTIM_STEPS), got {req.steps}"
        )
    info = O.SURFACES[req.surface]
    start = req.start or info.start
    for v in start:
        if not abs(v) <= O.ESCAPE:  # also catches NaN
            raise HTTPException(422, f"start: each coordinate must be within +-{O.ESCAPE:g}")
    paths = []
    for o in req.optimizers:
        cfg = O.OptimizerConfig(**o.model_dump())
        path = O.run_path(info.fn, start, cfg, req.steps)
        paths.append(PathOut(name=o.name, points=path.points, diverged=path.diverged))
    return OptimizersResponse(
        surface=req.surface,
        start=start,
        minimum=info.minimum,
        grid=O.grid(req.surface, GRID),
        paths=paths,
    )


class EwaRequest(BaseModel):
    beta: float = Field(0.9, ge=0, lt=1)
    bias_correction: bool = True
    n: int = Field(365, ge=1)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    noise: float = Field(4.0, ge=0, le=100)


class EwaResponse(BaseModel):
    beta: float
    window: float  # about 1 / (1 - beta) points are averaged
    t: list[int]
    theta: list[float]
    v: list[float]  # corrected when bias_correction, else raw
    v_raw: list[float]
    v_corrected: list[float]


@router.post("/ewa")
def ewa(req: EwaRequest, settings: SettingsDep) -> EwaResponse:
    limit = settings.max_ewa_points
    if req.n > limit:
        raise HTTPException(422, f"n: at most {limit} points (CNNPLAY_MAX_EWA_POINTS), got {req.n}")
    theta = E.temperatures(req.n, req.seed, req.noise)
    avg = E.ewa(theta, req.beta)
    return EwaResponse(
        beta=req.beta,
        window=1 / (1 - req.beta),
        t=list(range(1, req.n + 1)),
        theta=theta,
        v=avg.corrected if req.bias_correction else avg.v,
        v_raw=avg.v,
        v_corrected=avg.corrected,
    )


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
    limit = settings.max_gradcheck_samples
    if req.samples_per_layer > limit:
        raise HTTPException(
            422,
            f"samples_per_layer: at most {limit} (CNNPLAY_MAX_GRADCHECK_SAMPLES), "
            f"got {req.samples_per_layer}",
        )
    spec = req.spec or G.tiny_spec()
    try:
        with torch.random.fork_rng():  # seeded weights, without touching the global generator
            torch.manual_seed(req.seed)
            net = build_module(spec, max_params=settings.max_gradcheck_params)
    except ShapeError as e:
        raise HTTPException(422, f"spec: {e}") from e
    except TooLarge as e:
        raise HTTPException(
            422, f"spec: too large for a float64 gradient check (CNNPLAY_MAX_GRADCHECK_PARAMS): {e}"
        ) from e
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


class ModesRequest(BaseModel):
    p: float = Field(0.5, ge=0, le=0.95)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    batch: int = Field(16, ge=2)  # batch norm needs two rows for a variance
    batchnorm: bool = True


class ModeRunOut(BaseModel):
    hidden: list[list[float]]
    output: list[list[float]]
    mean: list[float] | None
    var: list[float] | None


class ModesResponse(BaseModel):
    p: float
    scale: float
    kept: list[list[bool]]
    train: ModeRunOut
    eval: ModeRunOut
    warmup_batches: int


@router.post("/modes")
def modes(req: ModesRequest, settings: SettingsDep) -> ModesResponse:
    limit = settings.max_modes_batch
    if req.batch > limit:
        raise HTTPException(
            422, f"batch: at most {limit} rows (CNNPLAY_MAX_MODES_BATCH), got {req.batch}"
        )
    m = MD.compare(req.p, req.seed, req.batch, req.batchnorm)
    return ModesResponse(
        p=m.p,
        scale=m.scale,
        kept=m.kept,
        train=ModeRunOut(**vars(m.train)),
        eval=ModeRunOut(**vars(m.eval)),
        warmup_batches=m.warmup_batches,
    )
