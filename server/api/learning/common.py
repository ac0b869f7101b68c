"""What the learning panels share: the limit check and the activation statistics model."""

from __future__ import annotations

from fastapi import HTTPException
from pydantic import BaseModel, Field


def at_most(field: str, value: int, limit: int, env: str, what: str = "") -> None:
    """A 422 naming the field and its Setting when `value` is over `limit`."""
    if value > limit:
        raise HTTPException(422, f"{field}: at most {limit:,}{what} (CNNPLAY_{env}), got {value:,}")


class ActivationStats(BaseModel):
    """A histogram of activations and its summary, as both panels report it."""

    hist: list[int] = Field(description="counts in `bins` equal bins over [lo, hi]")
    lo: float
    hi: float
    mean: float
    std: float
    zeros: float = Field(description="fraction of activations exactly 0")
    saturated: float = Field(description="fraction in the flat tails of tanh / sigmoid")
