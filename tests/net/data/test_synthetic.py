from __future__ import annotations

import math
import time

import pytest
import torch

from server.net.data import synthetic


def test_seeded_and_deterministic() -> None:
    x1, y1 = synthetic.generate(64, 32, 32, seed=7)
    x2, y2 = synthetic.generate(64, 32, 32, seed=7)
    x3, _ = synthetic.generate(64, 32, 32, seed=8)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3)
    assert x1.shape == (64, 3, 32, 32) and x1.dtype == torch.float32
    assert y1.dtype == torch.int64
    assert float(x1.min()) >= 0.0 and float(x1.max()) <= 1.0


def test_every_class_about_equally_often() -> None:
    _, y = synthetic.generate(2000, 8, 8, seed=1)
    counts = torch.bincount(y, minlength=4)
    assert len(counts) == len(synthetic.CLASSES) == 4
    assert all(400 < int(c) < 600 for c in counts)


def test_the_same_parameters_at_any_resolution() -> None:
    # Labels and colours come from the seed, not the size: a 64x64 set averaged down to
    # 32x32 is (nearly) the 32x32 set.
    small, ys = synthetic.generate(50, 32, 32, seed=3)
    big, yb = synthetic.generate(50, 64, 64, seed=3)
    assert torch.equal(ys, yb)
    pooled = torch.nn.functional.avg_pool2d(big, 2)
    assert float((pooled - small).abs().mean()) < 0.05


@pytest.mark.parametrize(
    ("label", "area"),
    [
        (0, lambda r, t: math.pi * r * r),  # circle of radius r
        (1, lambda r, t: 2 * r * r),  # square inscribed in it: side r * sqrt(2)
        (2, lambda r, t: 3 * math.sqrt(3) / 4 * r * r),  # equilateral triangle
        (3, lambda r, t: 2 * r * 2 * t),  # a bar 2r long, 2t thick
    ],
)
def test_each_shape_has_its_geometric_area(label: int, area) -> None:  # noqa: ANN001
    side = 96
    gen = torch.Generator().manual_seed(5)
    p = synthetic._params(200, gen)
    p["labels"] = torch.full((200,), label)
    alpha = (0.5 - synthetic._distance(p, side, side)).clamp(0, 1)  # (N, H, W)
    measured = alpha.sum((1, 2))
    r = p["radius"] * side
    t = max(0.75, 0.05 * side)
    expected = torch.tensor([area(float(ri), t) for ri in r])
    # The centre keeps the shape inside the image, so nothing is cut off.
    rel = (measured - expected).abs() / expected
    assert float(rel.max()) < 0.06, float(rel.max())


def test_grey_is_luminance() -> None:
    x = torch.rand(2, 3, 4, 4)
    g = synthetic.to_gray(x)
    assert g.shape == (2, 1, 4, 4)
    want = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    assert torch.allclose(g[:, 0], want)


def test_shapes_survive_conversion_to_grey() -> None:
    # Shape and background differ in brightness by construction.
    gen = torch.Generator().manual_seed(2)
    p = synthetic._params(500, gen)
    luma = torch.tensor(synthetic.LUMA)
    assert float(((p["fg"] - p["bg"]) @ luma).abs().min()) > 0.2


def test_fast() -> None:
    synthetic.generate(10, 32, 32, seed=0)  # warm up
    started = time.perf_counter()
    synthetic.generate(2500, 32, 32, seed=0)
    took = time.perf_counter() - started
    assert took < 3.0, f"2,500 shapes at 32x32 took {took:.2f} s"  # ~0.3 s on one core


def test_bad_sizes() -> None:
    with pytest.raises(ValueError, match="height=0"):
        synthetic.generate(4, 0, 8, seed=0)
