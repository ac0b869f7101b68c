"""L1 vs L2 (issue 8), under /api/learning:

GET  /weights/{id}/histogram  the conv/linear weights of trained weights (a run id,
                              run-<id>, a shipped name): histogram, near-zero
POST /constraint              the L1 diamond / L2 circle picture for a budget

Thin: validate, call server.net.lab.regularization, return numbers to draw.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from server.api.deps import NetworksDep, SettingsDep, StoreDep
from server.api.learning.common import at_most
from server.api.learning.runs import weights_id as run_weights_id
from server.api.services import open_network
from server.net.lab import regularization as R

router = APIRouter()


class HistogramResponse(BaseModel):
    weights: str
    title: str
    accuracy: float | None
    regularization: dict[str, Any]  # {l1, l2, l2_mode} of a run; {} otherwise
    edges: list[float]
    counts: list[int]
    total: int
    near_zero: int
    near_zero_share: float
    threshold: float
    max_abs: float
    l1_norm: float
    l2_norm: float
    layers: list[dict[str, Any]]


@router.get("/weights/{weights_id}/histogram")
def weight_histogram(
    weights_id: str,
    settings: SettingsDep,
    store: StoreDep,
    networks: NetworksDep,
    bins: Annotated[int, Query(ge=1)] = 60,
    limit: Annotated[float | None, Query(gt=0, le=1e6)] = None,
    threshold: Annotated[float, Query(gt=0, le=1)] = R.NEAR_ZERO,
) -> HistogramResponse:
    """All conv and linear weights (not biases) in `bins` equal bins over [-limit, limit]
    (default: the largest |w|), and how many have |w| < threshold, overall and per layer."""
    at_most("bins", bins, settings.max_histogram_bins, "MAX_HISTOGRAM_BINS")
    net = open_network(networks, weights=run_weights_id(weights_id[:100], store), where="")
    entry = net.weights
    assert entry is not None
    tensors = R.weight_tensors(net.module)
    if not tensors:
        raise HTTPException(422, f"weights {entry.id!r}: the network has no conv or linear layer")
    hist = R.histogram(tensors, bins, limit, threshold)
    config = entry.config or {}
    reg = {k: config[k] for k in ("l1", "l2", "l2_mode") if k in config}
    return HistogramResponse(
        weights=entry.id,
        title=entry.title,
        accuracy=entry.accuracy,
        regularization=reg,
        near_zero_share=hist.near_zero / hist.total,
        **vars(hist),
    )


class ConstraintRequest(BaseModel):
    budget: float = Field(1.0, gt=0, le=10, description="t in ||w||_1 <= t and ||w||_2 <= t")


class ConstraintResponse(BaseModel):
    budget: float
    center: list[float]  # w*, the unconstrained optimum
    matrix: list[list[float]]  # A of 1/2 (w - w*)^T A (w - w*)
    angle_deg: float
    eigenvalues: list[float]
    l1: list[float]
    l2: list[float]
    l1_loss: float
    l2_loss: float
    l1_lambda: float  # the penalty lambda*||w||_1 with the same optimum
    l2_lambda: float  # the penalty lambda/2*||w||_2^2 with the same optimum
    l1_zeros: int  # coordinates exactly zero
    l2_zeros: int
    path_budgets: list[float]
    l1_path: list[list[float]]
    l2_path: list[list[float]]


@router.post("/constraint")
def constraint(req: ConstraintRequest) -> ConstraintResponse:
    """Where the L1 and L2 constrained optima of an elongated 2-D quadratic land."""
    c = R.constraint(req.budget)
    return ConstraintResponse(
        **vars(c),
        l1_zeros=sum(v == 0 for v in c.l1),
        l2_zeros=sum(v == 0 for v in c.l2),
    )
