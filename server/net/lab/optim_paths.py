"""Optimizers on a 2-D loss surface: real torch.optim stepping a 2-element parameter.

Every surface is a torch function of a (2,) tensor p = (x, y) -> scalar loss, so the
gradient torch.optim sees is autograd's. Parameters are float64: a path of 500 steps
should show the optimizer, not float32 rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from server.net.core.warmup import import_lazy_torch_modules

Surface = Callable[[torch.Tensor], torch.Tensor]
# Elongated quadratic curvatures: a >> b makes a narrow valley along y.
ELONGATED_A = 20.0
ELONGATED_B = 1.0
ESCAPE = 1e6  # |x| or |y| past this counts as diverged (the next steps overflow anyway)


def elongated(p: torch.Tensor) -> torch.Tensor:
    return 0.5 * (ELONGATED_A * p[0] ** 2 + ELONGATED_B * p[1] ** 2)


def elongated_scaled(p: torch.Tensor) -> torch.Tensor:
    # The same valley after feature scaling: both curvatures equal, round contours.
    return 0.5 * (ELONGATED_A * p[0] ** 2 + ELONGATED_A * p[1] ** 2)


def saddle(p: torch.Tensor) -> torch.Tensor:
    return p[0] ** 2 - p[1] ** 2


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


@dataclass(frozen=True)
class SurfaceInfo:
    fn: Surface
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]  # a default start that shows the surface's character
    minimum: tuple[float, float] | None  # None: no minimum (the saddle)


SURFACES: dict[str, SurfaceInfo] = {
    "elongated": SurfaceInfo(elongated, (-3, 3), (-3, 3), (-2.5, 2.5), (0, 0)),
    "elongated_scaled": SurfaceInfo(elongated_scaled, (-3, 3), (-3, 3), (-2.5, 2.5), (0, 0)),
    "saddle": SurfaceInfo(saddle, (-2, 2), (-2, 2), (1.8, 0.01), None),
    "rosenbrock": SurfaceInfo(rosenbrock, (-2, 2), (-1, 3), (-1.5, 2.5), (1, 1)),
}


@dataclass(frozen=True)
class OptimizerConfig:
    name: str  # sgd | momentum | rmsprop | adam
    lr: float
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99  # RMSprop's decay of the squared-gradient average


@dataclass
class Path:
    points: list[list[float]] = field(default_factory=list)  # [[x, y, loss], ...]
    diverged: bool = False  # stopped early: non-finite or escaped past ESCAPE


def make_optimizer(cfg: OptimizerConfig, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    import_lazy_torch_modules()  # waits for the start-up thread's import (issue 20)
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr)
    if cfg.name == "momentum":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.alpha)
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    raise ValueError(f"unknown optimizer {cfg.name!r}")


def _ok(x: float, y: float, loss: float) -> bool:
    finite = all(math.isfinite(v) for v in (x, y, loss))
    return finite and abs(x) <= ESCAPE and abs(y) <= ESCAPE


def run_path(
    surface: Surface, start: tuple[float, float], cfg: OptimizerConfig, steps: int
) -> Path:
    """The start point then one point per step; stops (flagged) when the path blows up."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)  # (2,)
    opt = make_optimizer(cfg, [p])
    path = Path()
    for step in range(steps + 1):
        opt.zero_grad()
        loss = surface(p)
        x, y = (float(v) for v in p.detach())
        value = float(loss.detach())
        if not _ok(x, y, value):
            path.diverged = True
            break
        path.points.append([x, y, value])
        if step == steps:
            break
        loss.backward()
        opt.step()
    return path


def grid(name: str, size: int = 60) -> dict[str, object]:
    """Loss values on a size x size grid: z[j][i] = f(xs[i], ys[j]) (row j is one y)."""
    info = SURFACES[name]
    xs = torch.linspace(*info.x_range, size, dtype=torch.float64)
    ys = torch.linspace(*info.y_range, size, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # (size, size) each
    z = info.fn(torch.stack([gx, gy]))  # the surfaces broadcast over p[0], p[1]
    return {
        "x_range": list(info.x_range),
        "y_range": list(info.y_range),
        "size": size,
        "z": z.tolist(),
        "z_min": float(z.min()),
        "z_max": float(z.max()),
    }
