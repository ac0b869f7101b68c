"""GET /api/zoo: the model zoo's entries; GET /api/zoo/{name}: one entry's NetworkSpec."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, HTTPException

import models

router = APIRouter(tags=["zoo"])


@cache
def _listing() -> tuple[dict[str, Any], ...]:
    """Built and inferred once per process: the zoo does not change while it runs."""
    return tuple(entry.summary() for entry in models.entries())


@router.get("/zoo")
def list_zoo() -> list[dict[str, Any]]:
    """Every zoo entry with its parameter count and input shape."""
    return [dict(item) for item in _listing()]


@router.get("/zoo/{name}")
def get_zoo(name: str) -> dict[str, Any]:
    """The NetworkSpec of one zoo entry, ready for POST /api/shapes or the designer.
    Names are case-insensitive: /api/zoo/ResNet18 is resnet18."""
    try:
        entry = models.entry(name)
    except KeyError as exc:
        raise HTTPException(404, exc.args[0]) from None
    return entry.build().model_dump(mode="json")
