from __future__ import annotations

import math

import pytest
import torch

from server.net.lab import optim_paths as O


def quad(p: torch.Tensor) -> torch.Tensor:  # the test's own elongated bowl, a=20, b=1
    return 0.5 * (20 * p[0] ** 2 + 1 * p[1] ** 2)


def rosen(p: torch.Tensor) -> torch.Tensor:
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


# Learning rates are multiplied by a per-surface scale: Rosenbrock's walls are steep.
REFERENCE = {
    "sgd": lambda ps, k: torch.optim.SGD(ps, lr=0.02 * k),
    "momentum": lambda ps, k: torch.optim.SGD(ps, lr=0.01 * k, momentum=0.8),
    "rmsprop": lambda ps, k: torch.optim.RMSprop(ps, lr=0.05 * k, alpha=0.9),
    "adam": lambda ps, k: torch.optim.Adam(ps, lr=0.1 * k, betas=(0.8, 0.99)),
}
CONFIGS = {
    "sgd": lambda k: O.OptimizerConfig("sgd", lr=0.02 * k),
    "momentum": lambda k: O.OptimizerConfig("momentum", lr=0.01 * k, momentum=0.8),
    "rmsprop": lambda k: O.OptimizerConfig("rmsprop", lr=0.05 * k, alpha=0.9),
    "adam": lambda k: O.OptimizerConfig("adam", lr=0.1 * k, beta1=0.8, beta2=0.99),
}


def reference_path(fn, make, k: float, start, steps: int) -> list[list[float]]:
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make([p], k)
    out = []
    for _ in range(steps):
        out.append([*p.detach().tolist(), fn(p).item()])
        opt.zero_grad()
        fn(p).backward()
        opt.step()
    out.append([*p.detach().tolist(), fn(p).item()])
    return out


@pytest.mark.parametrize("name", list(REFERENCE))
@pytest.mark.parametrize(
    ("surface", "fn", "k"), [("elongated", quad, 1.0), ("rosenbrock", rosen, 0.05)]
)
def test_path_equals_a_hand_written_torch_optim_loop(name: str, surface: str, fn, k) -> None:
    start = (-1.2, 1.5)
    got = O.run_path(O.SURFACES[surface].fn, start, CONFIGS[name](k), 40)
    want = reference_path(fn, REFERENCE[name], k, start, 40)
    assert not got.diverged
    assert len(got.points) == 41
    assert torch.allclose(torch.tensor(got.points), torch.tensor(want), rtol=1e-12, atol=1e-12)


def test_adam_reaches_the_rosenbrock_valley() -> None:
    cfg = O.OptimizerConfig("adam", lr=0.05)
    path = O.run_path(O.rosenbrock, (-1.5, 2.5), cfg, 500)
    x, y, loss = path.points[-1]
    assert path.points[0][2] > 10  # starts up on the far side
    assert loss < 0.5, path.points[-1]  # from 12.5: down the wall into the valley
    assert abs(y - x**2) < 0.05  # on the curved valley floor y = x^2
    assert x > 0  # and past the bend, heading along it towards (1, 1)


def test_sgd_with_a_too_large_lr_diverges_on_the_elongated_bowl_and_is_flagged() -> None:
    # Stable only for lr < 2 / a = 0.1; at 0.2 x is multiplied by (1 - 20 * 0.2) = -3 a step.
    path = O.run_path(O.elongated, (-2.5, 2.5), O.OptimizerConfig("sgd", lr=0.2), 500)
    assert path.diverged
    assert 2 < len(path.points) < 30
    assert all(math.isfinite(v) for pt in path.points for v in pt)
    xs = [abs(pt[0]) for pt in path.points]
    assert xs[1] == pytest.approx(3 * xs[0])
    ok = O.run_path(O.elongated, (-2.5, 2.5), O.OptimizerConfig("sgd", lr=0.05), 500)
    assert not ok.diverged and ok.points[-1][2] < 1e-6


def test_the_scaled_bowl_is_round_and_the_saddle_escapes() -> None:
    assert O.elongated_scaled(torch.tensor([1.0, 0.0])) == O.elongated_scaled(
        torch.tensor([0.0, 1.0])
    )
    assert O.elongated(torch.tensor([1.0, 0.0])) == 20 * O.elongated(torch.tensor([0.0, 1.0]))
    path = O.run_path(O.saddle, (1.8, 0.01), O.OptimizerConfig("sgd", lr=0.1), 100)
    assert abs(path.points[-1][0]) < 1e-3  # x falls into the saddle's ridge
    assert abs(path.points[-1][1]) > 1  # and y slides off it


def test_grid_matches_the_surface() -> None:
    g = O.grid("rosenbrock", 7)
    z = torch.tensor(g["z"])
    assert z.shape == (7, 7)
    xs = torch.linspace(-2, 2, 7, dtype=torch.float64)
    ys = torch.linspace(-1, 3, 7, dtype=torch.float64)
    assert z[2, 5].item() == pytest.approx(rosen(torch.stack([xs[5], ys[2]])).item())
    assert g["z_min"] == pytest.approx(z.min().item())
