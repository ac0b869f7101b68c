"""POST /api/learning/ewa: an exponentially weighted average, with and without bias
correction. Thin: validate, call server.net.lab.ewa.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.api.learning.common import at_most
from server.net.lab import ewa as E

router = APIRouter()


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
    at_most("n", req.n, settings.max_ewa_points, "MAX_EWA_POINTS", " points")
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
