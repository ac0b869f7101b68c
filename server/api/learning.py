"""POST /api/learning/optimizers and /api/learning/ewa: the "inside learning" panels (issue 8).

Thin: validate, call server.net.optim_paths / server.net.ewa, return numbers to draw.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.net import ewa as E
from server.net import optim_paths as O

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
