"""The convolution animator's math: torch computes, the browser animates.

`convolve` runs F.conv2d / F.max_pool2d(return_indices=True) / F.avg_pool2d on
one (C, H, W) input and also returns the zero-padded input, so the page can show
which padded cells feed which output cell. `neighbourhood` cuts a readable patch
out of a large result: output cells [r0, r0+R) x [c0, c0+C) and exactly the
padded-input cells that feed them, so patch-local geometry is unchanged
(output (i, j) reads padded (i*s + a*d, j*s + b*d)).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from server.net.core.formula import Axis, conv_out, formula_2d, span
from server.net.lab.kernels import kernel

Op = Literal["conv", "maxpool", "avgpool"]
MNIST = Path(__file__).resolve().parents[2] / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"

# The textbook case: a 5x5 input and a 3x3 filter of small integers.
TEXTBOOK = [
    [3, 3, 2, 1, 0],
    [0, 0, 1, 3, 1],
    [3, 1, 2, 2, 3],
    [2, 0, 0, 2, 2],
    [2, 0, 0, 0, 1],
]
TEXTBOOK_KERNEL = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
# A 3-channel 5x5 input ("RGB") for the multi-channel walk-through.
TEXTBOOK_RGB = [
    TEXTBOOK,
    [[1, 0, 2, 1, 1], [2, 1, 0, 0, 2], [0, 2, 1, 1, 0], [1, 1, 2, 0, 1], [0, 1, 0, 2, 2]],
    [[0, 1, 1, 2, 0], [1, 2, 1, 0, 1], [2, 0, 0, 1, 2], [0, 1, 1, 2, 0], [1, 0, 2, 1, 1]],
]


class ConvError(ValueError):
    """A request whose numbers do not work out (-> 422); says which field."""


@dataclass
class ConvResult:
    padded: torch.Tensor  # (C, H + 2p, W + 2p), zeros in the padding (display)
    output: torch.Tensor  # (C', Ho, Wo); C' = filters for conv, C for pooling
    indices: torch.Tensor | None  # (C, Ho, Wo) torch's argmax: flat h*W + w, unpadded
    formula: str


def convolve(
    x: torch.Tensor,
    op: Op,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    kernel_size: int = 2,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> ConvResult:
    """x (C, H, W); weight (C', C, f, f) for conv; bias (C',) or None."""
    c, h, w = x.shape
    if min(stride, dilation) < 1 or padding < 0:
        raise ConvError("stride and dilation must be >= 1 and padding >= 0")
    if op == "conv":
        if weight is None or weight.ndim != 4 or weight.shape[2] != weight.shape[3]:
            raise ConvError("kernel must be a square c' x c x f x f array")
        if weight.shape[1] != c:
            raise ConvError(f"kernel has {weight.shape[1]} input channels but the input has {c}")
        f = weight.shape[2]
    else:
        f = kernel_size
        if f < 1:
            raise ConvError("kernel_size must be >= 1")
        if padding > f // 2:
            raise ConvError(f"pooling padding must be at most half the kernel ({f // 2})")
        if op == "avgpool" and dilation != 1:
            raise ConvError("average pooling has no dilation in PyTorch; use dilation 1")
    axes = [Axis(n=n, f=f, p=padding, s=stride, d=dilation) for n in (h, w)]
    for name, axis in zip(("height", "width"), axes):
        if axis.effective_kernel > axis.padded or conv_out(axis) < 1:
            raise ConvError(
                f"the kernel spans {axis.effective_kernel} cells but the padded input "
                f"{name} is {axis.padded}: {formula_2d(*axes)}"
            )
    xb = x[None]  # (1, C, H, W)
    indices = None
    with torch.no_grad():
        if op == "conv":
            out = F.conv2d(xb, weight, bias, stride=stride, padding=padding, dilation=dilation)
        elif op == "maxpool":
            out, idx = F.max_pool2d(
                xb, f, stride=stride, padding=padding, dilation=dilation, return_indices=True
            )
            indices = idx[0]
        else:
            out = F.avg_pool2d(xb, f, stride=stride, padding=padding)  # count_include_pad
    return ConvResult(F.pad(x, (padding,) * 4), out[0], indices, formula_2d(*axes))


def named_weight(name: str, channels: int) -> torch.Tensor:
    """A classic kernel applied to every channel and averaged: (1, C, f, f)."""
    k = torch.tensor(kernel(name).values, dtype=torch.float32)
    return (k / channels).expand(1, channels, *k.shape).clone()


@dataclass
class Window:
    out_row: int  # first output row/col of the patch
    out_col: int
    in_row: int  # first padded-input row/col feeding it
    in_col: int
    padded: torch.Tensor  # (C, Rin, Cin)
    output: torch.Tensor  # (C', R, C)
    indices: torch.Tensor | None  # (C, R, C, 2): patch-local [row, col] of each max


def neighbourhood(
    res: ConvResult,
    f: int,
    stride: int,
    dilation: int,
    padding: int,
    focus: tuple[int, int],
    cells: int,
) -> Window:
    """The `cells` x `cells` output patch centred on `focus` (clamped inside)."""
    _, ho, wo = res.output.shape
    r, c = min(cells, ho), min(cells, wo)
    r0 = max(0, min(focus[0] - r // 2, ho - r))
    c0 = max(0, min(focus[1] - c // 2, wo - c))
    cover = span(f, dilation)  # the input cells one window covers
    ir, ic = r0 * stride, c0 * stride
    rin, cin = (r - 1) * stride + cover, (c - 1) * stride + cover
    padded = res.padded[:, ir : ir + rin, ic : ic + cin]
    output = res.output[:, r0 : r0 + r, c0 : c0 + c]
    indices = None
    if res.indices is not None:
        w = res.padded.shape[2] - 2 * padding
        idx = res.indices[:, r0 : r0 + r, c0 : c0 + c]
        rows = idx // w + padding - ir
        cols = idx % w + padding - ic
        indices = torch.stack([rows, cols], dim=-1)
    return Window(r0, c0, ir, ic, padded, output, indices)


# --- presets -----------------------------------------------------------------


@cache
def _mnist() -> np.ndarray:
    with gzip.open(MNIST, "rb") as fh:
        raw = fh.read()
    # IDX3: 16-byte header (magic, count, rows, cols), then uint8 pixels.
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)


def mnist_digit(index: int) -> torch.Tensor:
    """Test-set image `index` as (1, 28, 28) in [0, 1]."""
    images = _mnist()
    if not 0 <= index < len(images):
        raise ConvError(f"MNIST index must be 0..{len(images) - 1}")
    return torch.from_numpy(images[index].astype(np.float32) / 255.0)[None]


def textbook(channels: int = 1) -> torch.Tensor:
    data = TEXTBOOK_RGB if channels == 3 else [TEXTBOOK]
    return torch.tensor(data, dtype=torch.float32)
