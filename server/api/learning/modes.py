"""POST /api/learning/modes: dropout and batch norm in train mode against eval mode.
Thin: validate, call server.net.lab.modes.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.api.learning.common import at_most
from server.net.lab import modes as MD

router = APIRouter()


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
    at_most("batch", req.batch, settings.max_modes_batch, "MAX_MODES_BATCH", " rows")
    m = MD.compare(req.p, req.seed, req.batch, req.batchnorm)
    return ModesResponse(
        p=m.p,
        scale=m.scale,
        kept=m.kept,
        train=ModeRunOut(**vars(m.train)),
        eval=ModeRunOut(**vars(m.eval)),
        warmup_batches=m.warmup_batches,
    )
