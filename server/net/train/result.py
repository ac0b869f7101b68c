"""TrainResult: how a run ended, its final metrics and its trained module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from torch import nn


@dataclass
class TrainResult:
    status: Literal["done", "diverged", "cancelled", "paused"]
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    module: nn.Module | None = None
