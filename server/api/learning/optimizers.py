"""POST /api/learning/optimizers, GET /surfaces: optimizer paths on 2-D loss surfaces.

Thin: validate, call server.net.lab.optim_paths, return numbers to draw.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.api.learning.common import at_most
from server.net.lab import optim_paths as O

router = APIRouter()

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
    at_most("steps", req.steps, settings.max_optim_steps, "MAX_OPTIM_STEPS", " steps")
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
