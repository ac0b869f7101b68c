"""The classic kernels are what they say."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from server.net.lab.kernels import KERNELS, kernel


def _k(name: str) -> torch.Tensor:
    return torch.tensor(kernel(name).values)[None, None]  # (1, 1, 3, 3)


def _vertical_edge() -> torch.Tensor:
    x = torch.zeros(1, 1, 8, 8)
    x[..., 4:] = 1.0  # dark left half, bright right half
    return x


def test_sobel_x_responds_to_a_vertical_edge_only() -> None:
    out = F.conv2d(_vertical_edge(), _k("sobel_x"))[0, 0]  # (6, 6)
    assert out[:, 2:4].abs().min() == 4  # the columns whose window straddles the edge
    assert out[:, :2].abs().max() == 0 and out[:, 4:].abs().max() == 0
    assert F.conv2d(_vertical_edge(), _k("sobel_y")).abs().max() == 0


def test_blurs_sum_to_one_and_edge_kernels_to_zero() -> None:
    for name in ("box_blur", "gaussian", "identity", "sharpen"):
        assert sum(map(sum, kernel(name).values)) == pytest.approx(1.0)
    for name in ("sobel_x", "sobel_y", "laplacian", "outline"):
        assert sum(map(sum, kernel(name).values)) == 0


def test_identity_copies() -> None:
    x = torch.rand(1, 1, 6, 6)
    assert torch.equal(F.conv2d(x, _k("identity"), padding=1), x)


def test_every_kernel_has_a_note_and_is_square() -> None:
    assert len(KERNELS) >= 9
    for k in KERNELS.values():
        assert k.note.endswith(".") and len(k.values) == len(k.values[0])


def test_unknown_kernel_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="sobel_x"):
        kernel("nope")
