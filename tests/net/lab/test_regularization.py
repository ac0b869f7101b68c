"""L1 vs L2: the exact constrained optima, the weight histogram, and sparsity from training."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from server.net.core.spec import NetworkSpec
from server.net.lab import regularization as R
from server.net.train.loop import TrainConfig, train

A = R.matrix()
CENTER = torch.tensor(R.CENTER, dtype=torch.float64)


def _best_feasible(norm: str, budget: float) -> float:
    """Brute force: the lowest loss over a dense sample of the boundary and the inside."""
    s = torch.linspace(0, 2 * math.pi, 20_001, dtype=torch.float64)
    if norm == "l2":
        edge = budget * torch.stack([s.cos(), s.sin()], 1)
    else:  # the diamond, walked along its edges
        u = torch.stack([s.cos(), s.sin()], 1)
        edge = budget * u / u.abs().sum(1, keepdim=True)
    g = torch.linspace(-budget, budget, 401, dtype=torch.float64)
    grid = torch.cartesian_prod(g, g)
    size = grid.norm(dim=1) if norm == "l2" else grid.abs().sum(1)
    points = torch.cat([edge, grid[size <= budget]])
    return float(R.loss(points, A, CENTER).min())


@pytest.mark.parametrize("budget", [0.5, 1.0, 1.5])
def test_l1_optimum_is_sparse_and_l2_is_not(budget: float) -> None:
    t = torch.tensor([budget], dtype=torch.float64)
    w1 = R.l1_optimum(A, CENTER, t)[0]
    w2 = R.l2_optimum(A, CENTER, t)[0]
    assert float(w1[1]) == 0.0 and float(w1[0]) == pytest.approx(budget)  # a corner
    assert float(w2.abs().min()) > 0.1  # on the circle, off both axes
    assert float(w2.norm()) == pytest.approx(budget, abs=1e-9)
    # Nothing feasible does better (a dense sample of the diamond / disc).
    assert float(R.loss(w1, A, CENTER)) <= _best_feasible("l1", budget) + 1e-9
    assert float(R.loss(w2, A, CENTER)) <= _best_feasible("l2", budget) + 1e-9


def test_a_loose_budget_returns_the_free_optimum() -> None:
    t = torch.tensor([3.5], dtype=torch.float64)  # ||w*||_1 = 3 and ||w*||_2 = 2.24
    assert R.l1_optimum(A, CENTER, t)[0].tolist() == list(R.CENTER)
    assert R.l2_optimum(A, CENTER, t)[0].tolist() == list(R.CENTER)


def test_the_penalty_with_the_reported_lambda_has_the_same_optimum() -> None:
    c = R.constraint(1.2)
    # L2: minimise L(w) + lambda/2 ||w||^2  ->  (A + lambda I) w = A w*
    w2 = torch.linalg.solve(A + c.l2_lambda * torch.eye(2, dtype=torch.float64), A @ CENTER)
    assert w2.tolist() == pytest.approx(c.l2, abs=1e-6)
    # L1: minimise L(w) + lambda ||w||_1 by proximal gradient (soft thresholding).
    step = 1 / float(torch.linalg.eigvalsh(A).max())
    w = torch.zeros(2, dtype=torch.float64)
    for _ in range(5000):
        v = w - step * (A @ (w - CENTER))
        w = v.sign() * (v.abs() - step * c.l1_lambda).clamp_min(0)
    assert w.tolist() == pytest.approx(c.l1, abs=1e-6)


def test_paths_hit_the_axis_for_l1_only() -> None:
    c = R.constraint(1.0)
    assert len(c.l1_path) == len(c.l2_path) == len(c.path_budgets)
    assert sum(w[1] == 0 for w in c.l1_path) >= len(c.l1_path) // 2
    assert not any(0 in w for w in c.l2_path)


def test_histogram_counts_equal_numpy() -> None:
    torch.manual_seed(0)
    weights = [("layers.0", torch.randn(16, 1, 3, 3) * 0.3), ("layers.3", torch.randn(10, 50))]
    flat = np.concatenate([w.numpy().ravel() for _, w in weights]).astype(np.float64)
    h = R.histogram(weights, bins=40)
    counts, edges = np.histogram(flat, bins=40, range=(-np.abs(flat).max(), np.abs(flat).max()))
    assert h.counts == counts.tolist()
    np.testing.assert_allclose(h.edges, edges)
    assert h.total == flat.size == sum(h.counts)
    # A narrower range leaves the tails out, as numpy does.
    h = R.histogram(weights, bins=7, limit=0.5)
    assert h.counts == np.histogram(flat, bins=7, range=(-0.5, 0.5))[0].tolist()
    assert h.near_zero == int((np.abs(flat) < 1e-3).sum())
    assert [x["count"] for x in h.layers] == [144, 500]


def _digits_mlp() -> NetworkSpec:
    return NetworkSpec.model_validate(
        {
            "name": "digits MLP",
            "input": {"channels": 1, "height": 8, "width": 8},
            "layers": [
                {"type": "flatten"},
                {"type": "linear", "out_features": 64},
                {"type": "relu"},
                {"type": "linear", "out_features": 10},
            ],
        }
    )


@pytest.fixture
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as a training job runs; far quicker on a busy machine
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
def test_l1_training_leaves_more_near_zero_weights_than_l2() -> None:
    # The same MLP, data and seed; 4 epochs: about 52% (L1) against 2% (L2) after 10.
    base = {"dataset": "digits", "epochs": 4, "lr": 0.02, "optimizer": "momentum", "seed": 0}
    shares = {}
    for name, extra in {"l1": {"l1": 2e-3}, "l2": {"l2": 2e-2}}.items():
        result = train(_digits_mlp(), TrainConfig(**base, **extra), lambda e: None)
        assert result.status == "done" and result.module is not None
        h = R.histogram(R.weight_tensors(result.module))
        shares[name] = h.near_zero / h.total
        assert result.metrics["accuracy"] > 0.85
    assert shares["l1"] > 0.08 and shares["l1"] > 3 * shares["l2"]
