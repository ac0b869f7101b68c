"""GET /api/health."""

from __future__ import annotations

import torch
from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "torch": torch.__version__}
