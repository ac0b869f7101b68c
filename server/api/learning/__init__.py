"""/api/learning: the "inside learning" panels (issue 8), one router, one file per panel.

optimizers (paths on loss surfaces), ewa (weighted averages), gradcheck, modes (train vs
eval), gradflow (gradient flow at init and the classic comparison), init (activation
statistics under each initialization), regularization (L1 vs L2), gates (LSTM/GRU) and
transposed (how a transposed convolution spreads its input, issue 16).
"""

from __future__ import annotations

from fastapi import APIRouter

from server.api.learning import (
    ewa,
    gates,
    gradcheck,
    gradflow,
    init,
    modes,
    optimizers,
    regularization,
    transposed,
)

router = APIRouter(prefix="/learning", tags=["learning"])
for panel in (
    optimizers,
    ewa,
    gradcheck,
    modes,
    gradflow,
    init,
    regularization,
    gates,
    transposed,
):
    router.include_router(panel.router)
