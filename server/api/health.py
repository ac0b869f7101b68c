"""GET /api/health: up, and whether the rest of the server has loaded (server/loading.py).

It answers as soon as the socket is open, before torch is imported: the torch version comes
from the installed package's metadata. 503 once loading has failed, with why."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server import loading

router = APIRouter(tags=["health"])
TORCH = metadata.version("torch")


@router.get("/health")
def health(request: Request) -> Any:
    state = loading.describe(request.app)
    if "error" in state:
        # "detail" as every error of the API has it, for the frontend's ApiError
        body = {"status": "failed", "torch": TORCH, **state, "detail": state["error"]}
        return JSONResponse(body, 503)
    return {"status": "ok", "torch": TORCH, **state}
