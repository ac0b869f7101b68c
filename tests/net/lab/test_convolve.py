"""The animator's numbers are torch's numbers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from server.net.lab import convolve as C


def _kernel() -> torch.Tensor:
    return torch.tensor([[C.TEXTBOOK_KERNEL]], dtype=torch.float32)  # (1, 1, 3, 3)


def test_textbook_example_is_the_known_answer() -> None:
    res = C.convolve(C.textbook(), "conv", _kernel())
    assert res.output.tolist() == [[[12, 12, 17], [10, 17, 19], [9, 6, 14]]]
    assert res.padded.shape == (1, 5, 5)
    assert res.formula == "floor((5 + 2*0 - 3)/1) + 1 = 3"


@pytest.mark.parametrize(("p", "s", "d"), [(1, 2, 1), (0, 1, 2), (2, 1, 2), (1, 3, 1)])
def test_conv_equals_f_conv2d(p: int, s: int, d: int) -> None:
    x, w, b = C.textbook(), _kernel(), torch.tensor([0.5])
    res = C.convolve(x, "conv", w, b, stride=s, padding=p, dilation=d)
    want = F.conv2d(x[None], w, b, stride=s, padding=p, dilation=d)[0]
    assert torch.equal(res.output, want)
    assert res.padded.shape == (1, 5 + 2 * p, 5 + 2 * p)
    assert res.padded[0, p : p + 5, p : p + 5].tolist() == C.TEXTBOOK


def test_multichannel_sums_over_channels() -> None:
    x = C.textbook(3)  # (3, 5, 5)
    w = torch.randint(-2, 3, (2, 3, 3, 3)).float()  # two filters -> two output channels
    res = C.convolve(x, "conv", w, padding=1)
    assert res.output.shape == (2, 5, 5)
    assert torch.equal(res.output, F.conv2d(x[None], w, padding=1)[0])
    # one output cell by hand: the sum over channels of the element-wise products
    padded = F.pad(x, (1, 1, 1, 1))
    assert res.output[1, 2, 3] == (padded[:, 2:5, 3:6] * w[1]).sum()


def test_max_pool_indices_point_at_the_max() -> None:
    x = C.textbook()
    res = C.convolve(x, "maxpool", kernel_size=3, stride=2, padding=1)
    want, idx = F.max_pool2d(x[None], 3, 2, 1, return_indices=True)
    assert torch.equal(res.output, want[0])
    assert torch.equal(res.indices, idx[0])
    win = C.neighbourhood(res, 3, 2, 1, 1, (0, 0), 8)
    for i in range(3):
        for j in range(3):
            r, c = win.indices[0][i][j]
            assert win.padded[0, r, c] == res.output[0, i, j]
            assert i * 2 <= r < i * 2 + 3 and j * 2 <= c < j * 2 + 3  # inside the window


def test_avg_pool_equals_torch() -> None:
    x = C.mnist_digit(0)
    res = C.convolve(x, "avgpool", kernel_size=2, stride=2)
    assert torch.equal(res.output, F.avg_pool2d(x[None], 2, 2)[0])


def test_neighbourhood_keeps_the_geometry() -> None:
    x = C.mnist_digit(3)  # (1, 28, 28)
    w = torch.randn(1, 1, 3, 3)
    res = C.convolve(x, "conv", w, stride=2, padding=1, dilation=2)
    win = C.neighbourhood(res, 3, 2, 2, 1, (7, 9), 4)
    assert win.output.shape == (1, 4, 4)
    for i in range(4):
        for j in range(4):
            patch = win.padded[0, i * 2 : i * 2 + 5 : 2, j * 2 : j * 2 + 5 : 2]  # dilated
            assert torch.allclose((patch * w[0, 0]).sum(), win.output[0, i, j], atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"op": "conv", "weight": torch.ones(1, 1, 7, 7)}, "padded input height is 5"),
        ({"op": "conv", "weight": torch.ones(1, 2, 3, 3)}, "2 input channels"),
        ({"op": "maxpool", "kernel_size": 2, "padding": 2}, "at most half"),
        ({"op": "avgpool", "kernel_size": 2, "dilation": 2}, "dilation"),
    ],
)
def test_bad_numbers_say_why(kwargs: dict, words: str) -> None:
    with pytest.raises(C.ConvError, match=words):
        C.convolve(C.textbook(), **kwargs)


def test_named_weight_averages_channels() -> None:
    x = C.textbook(3)
    res = C.convolve(x, "conv", C.named_weight("sobel_x", 3), padding=1)
    gray = x.mean(0, keepdim=True)
    want = F.conv2d(gray[None], C.named_weight("sobel_x", 1), padding=1)[0]
    assert torch.allclose(res.output, want, atol=1e-5)


def test_mnist_digit_range() -> None:
    x = C.mnist_digit(0)
    assert x.shape == (1, 28, 28) and float(x.min()) >= 0 and float(x.max()) <= 1
    with pytest.raises(C.ConvError):
        C.mnist_digit(10_000)
