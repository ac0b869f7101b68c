"""L1 vs L2 (issue 8): weight histograms of trained networks, and the constraint picture.

The picture: minimise an elongated quadratic L(w) = 1/2 (w - w*)^T A (w - w*) in 2-D subject
to a budget, ||w||_1 <= t (a diamond) or ||w||_2 <= t (a circle). Penalising lambda*||w|| is
the same problem for some t. Both optima are solved exactly in float64 torch:

- L2: w(mu) = (A + mu I)^-1 A w* (solved in A's eigenbasis), with mu >= 0 found by bisection
  so that ||w(mu)|| = t.
- L1: the optimum lies on one of the diamond's four edges; minimise the quadratic along each
  edge in closed form (clamped to the edge, so a corner is reached exactly) and keep the best.

The diamond's corners stick out along the axes, so the ellipses usually touch it there: one
coordinate is exactly zero (sparse). The circle has no corners: both stay non-zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

# The problem drawn: elongated (eigenvalues 1 and 6), its long axis at 110 degrees from w1,
# the free optimum off the axes. The L1 optimum is sparse (w2 = 0) for budgets t <= 2.
CENTER = (2.0, 1.0)
EIGENVALUES = (1.0, 6.0)
ANGLE = math.radians(110.0)
NEAR_ZERO = 1e-3  # |w| below this counts as "near zero"


def matrix(angle: float = ANGLE, eig: tuple[float, float] = EIGENVALUES) -> torch.Tensor:
    """A = R diag(eig) R^T, (2, 2) float64."""
    c, s = math.cos(angle), math.sin(angle)
    rot = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return rot @ torch.diag(torch.tensor(eig, dtype=torch.float64)) @ rot.T


def loss(w: torch.Tensor, a: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
    """w: (..., 2) -> (...): 1/2 (w - w*)^T A (w - w*)."""
    d = w - center
    return 0.5 * torch.einsum("...i,ij,...j->...", d, a, d)


def l2_optimum(a: torch.Tensor, center: torch.Tensor, budgets: torch.Tensor) -> torch.Tensor:
    """(B,) budgets -> (B, 2) optima inside the circle ||w||_2 <= t."""
    # In A's eigenbasis (A = Q diag(lam) Q^T) w(mu) = Q diag(lam / (lam + mu)) Q^T w*.
    lam, q = torch.linalg.eigh(a)
    c = q.T @ center  # (2,)

    def at(mu: torch.Tensor) -> torch.Tensor:  # (B,) -> (B, 2) in the eigenbasis
        return lam * c / (lam + mu[:, None])

    lo = torch.zeros_like(budgets)
    # ||w(mu)|| <= ||A w*|| / mu, so mu = ||A w*|| / t is surely large enough.
    hi = (a @ center).norm() / budgets.clamp_min(1e-12) + 1.0
    for _ in range(200):  # bisection: ||w(mu)|| falls as mu grows
        mid = (lo + hi) / 2
        outside = at(mid).norm(dim=1) > budgets
        lo = torch.where(outside, mid, lo)
        hi = torch.where(outside, hi, mid)
    w = at(hi) @ q.T  # back to (w1, w2)
    inside = center.norm() <= budgets  # the budget does not bind: the free optimum
    return torch.where(inside[:, None], center.expand_as(w), w)


def l1_optimum(a: torch.Tensor, center: torch.Tensor, budgets: torch.Tensor) -> torch.Tensor:
    """(B,) budgets -> (B, 2) optima inside the diamond |w1| + |w2| <= t."""
    best_w = center.expand(len(budgets), 2).clone()
    best_l = torch.full_like(budgets, math.inf)
    corners = [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)]
    for k in range(4):
        p = torch.tensor(corners[k], dtype=torch.float64) * budgets[:, None]  # (B, 2)
        q = torch.tensor(corners[(k + 1) % 4], dtype=torch.float64) * budgets[:, None]
        d = q - p  # the edge p + s d, s in [0, 1]
        # d/ds L = d^T A (p + s d - w*) = 0  ->  s = d^T A (w* - p) / d^T A d
        num = torch.einsum("bi,ij,bj->b", d, a, center - p)
        den = torch.einsum("bi,ij,bj->b", d, a, d).clamp_min(1e-300)
        s = (num / den).clamp(0.0, 1.0)
        w = p + s[:, None] * d
        w = torch.where(s[:, None] == 0, p, torch.where(s[:, None] == 1, q, w))  # exact corners
        value = loss(w, a, center)
        better = value < best_l
        best_w = torch.where(better[:, None], w, best_w)
        best_l = torch.where(better, value, best_l)
    inside = center.abs().sum() <= budgets
    return torch.where(inside[:, None], center.expand_as(best_w), best_w)


def l1_lambda(a: torch.Tensor, center: torch.Tensor, w: torch.Tensor) -> float:
    """The penalty lambda that gives the same optimum: A (w* - w) = lambda sign(w) on the
    non-zero coordinates (0 when the budget does not bind)."""
    g = a @ (center - w)
    nz = w.abs() > 1e-12
    return float(g[nz].abs().max()) if bool(nz.any()) else float(g.abs().max())


def l2_lambda(a: torch.Tensor, center: torch.Tensor, w: torch.Tensor) -> float:
    """lambda/2 ||w||^2 gives the same optimum: A (w* - w) = lambda w."""
    n2 = float(w @ w)
    return float((a @ (center - w)) @ w) / n2 if n2 > 0 else 0.0


@dataclass
class Constraint:
    budget: float
    center: list[float]
    matrix: list[list[float]]
    angle_deg: float  # the ellipses' major axis, from the w1 axis
    eigenvalues: list[float]
    l1: list[float]
    l2: list[float]
    l1_loss: float
    l2_loss: float
    l1_lambda: float
    l2_lambda: float
    path_budgets: list[float]  # optima for many budgets: the regularisation paths
    l1_path: list[list[float]]
    l2_path: list[list[float]]


def _clean(w: torch.Tensor) -> list[float]:
    return [0.0 if abs(v) < 1e-12 else float(v) for v in w.tolist()]


def constraint(budget: float, path_points: int = 60) -> Constraint:
    a = matrix()
    center = torch.tensor(CENTER, dtype=torch.float64)
    t = torch.tensor([budget], dtype=torch.float64)
    w1 = l1_optimum(a, center, t)[0]
    w2 = l2_optimum(a, center, t)[0]
    top = float(center.abs().sum()) * 1.05
    budgets = torch.linspace(top / path_points, top, path_points, dtype=torch.float64)
    return Constraint(
        budget=budget,
        center=list(CENTER),
        matrix=a.tolist(),
        angle_deg=math.degrees(ANGLE),
        eigenvalues=list(EIGENVALUES),
        l1=_clean(w1),
        l2=_clean(w2),
        l1_loss=float(loss(w1, a, center)),
        l2_loss=float(loss(w2, a, center)),
        l1_lambda=l1_lambda(a, center, w1),
        l2_lambda=l2_lambda(a, center, w2),
        path_budgets=budgets.tolist(),
        l1_path=[_clean(w) for w in l1_optimum(a, center, budgets)],
        l2_path=[_clean(w) for w in l2_optimum(a, center, budgets)],
    )


# --- weights of a trained network ------------------------------------------------------


def weight_tensors(module: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """(path, weight) of every conv and linear layer: what L1/L2 in training penalise."""
    return [
        (path, m.weight.detach())
        for path, m in module.named_modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]


@dataclass
class Histogram:
    edges: list[float]  # bins + 1
    counts: list[int]  # bins
    total: int
    near_zero: int  # |w| < threshold
    threshold: float
    max_abs: float
    l1_norm: float
    l2_norm: float
    layers: list[dict]  # {path, count, near_zero, max_abs}


def histogram(
    weights: list[tuple[str, torch.Tensor]],
    bins: int = 60,
    limit: float | None = None,
    threshold: float = NEAR_ZERO,
) -> Histogram:
    """Counts of all the weights in `bins` equal bins over [-limit, limit] (default: the
    largest |w|); values outside the range are not counted, as in numpy.histogram."""
    flat = torch.cat([w.reshape(-1).to(torch.float64) for _, w in weights])  # (P,)
    max_abs = float(flat.abs().max()) if len(flat) else 0.0
    edge = limit if limit is not None else (max_abs or 1.0)
    counts, edges = torch.histogram(flat, bins=bins, range=(-edge, edge))
    layers = [
        {
            "path": path,
            "count": w.numel(),
            "near_zero": int((w.abs() < threshold).sum()),
            "max_abs": float(w.abs().max()),
        }
        for path, w in weights
    ]
    return Histogram(
        edges=edges.tolist(),
        counts=[int(c) for c in counts.tolist()],
        total=len(flat),
        near_zero=int((flat.abs() < threshold).sum()),
        threshold=threshold,
        max_abs=max_abs,
        l1_norm=float(flat.abs().sum()),
        l2_norm=float(flat.norm()),
        layers=layers,
    )
