"""The transposed-convolution panel's math (issue 16): torch computes, the browser animates.

A transposed convolution spreads each input value over the output: input cell (i, j)
adds value * kernel onto the output window whose corner is (i*s - p, j*s - p), and
overlapping windows add up. `spread` runs F.conv_transpose2d on one channel and also
returns, computed by torch the same way:
  - `steps`: the output after stamping the first k input cells (row by row), so the
    page can show the windows being laid down one by one;
  - `overlap`: how many windows cover each output cell (the transposed conv of ones
    with ones). When the kernel size is not a multiple of the stride the counts
    alternate: the "checkerboard" that upsampling with transposed convs is known for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from server.net.core.formula import Axis, transposed_out, transposed_text

InputKind = Literal["ones", "ramp", "random"]
KernelKind = Literal["ones", "ramp", "random"]


class SpreadError(ValueError):
    """Numbers that do not work out (-> 422); says which field."""


@dataclass
class Spread:
    input: torch.Tensor  # (n, n)
    kernel: torch.Tensor  # (f, f)
    output: torch.Tensor  # (o, o)
    overlap: torch.Tensor  # (o, o) windows covering each output cell
    steps: torch.Tensor  # (n*n, o, o): the output after the first k+1 input cells
    formula: str
    checkerboard: bool  # f is not a multiple of s: the overlap counts are uneven


def values(kind: str, n: int, seed: int = 0) -> torch.Tensor:
    """Small readable numbers: all ones, 1..n*n, or random integers in [-2, 3]."""
    if kind == "ones":
        return torch.ones(n, n)
    if kind == "ramp":
        return torch.arange(1, n * n + 1, dtype=torch.float32).reshape(n, n)
    g = torch.Generator().manual_seed(seed)
    return torch.randint(-2, 4, (n, n), generator=g).float()


def _transposed(x: torch.Tensor, k: torch.Tensor, s: int, p: int, op: int) -> torch.Tensor:
    """(..., n, n) inputs -> (..., o, o), one channel in and out."""
    lead = x.shape[:-2]
    y = F.conv_transpose2d(
        x.reshape(-1, 1, *x.shape[-2:]), k[None, None], stride=s, padding=p, output_padding=op
    )
    return y.reshape(*lead, *y.shape[-2:])


def spread(
    x: torch.Tensor, k: torch.Tensor, stride: int, padding: int, output_padding: int
) -> Spread:
    """The transposed conv of one (n, n) input with one (f, f) kernel, step by step."""
    n, f = x.shape[-1], k.shape[-1]
    if output_padding >= stride:
        raise SpreadError(
            f"output_padding: must be less than the stride ({stride}), got {output_padding}"
        )
    axis = Axis(n, f, padding, stride)
    out = transposed_out(axis, output_padding)
    if out < 1:
        raise SpreadError(
            f"padding: the output would be {out} = {transposed_text(axis, output_padding)}; "
            "lower the padding"
        )
    with torch.no_grad():
        output = _transposed(x, k, stride, padding, output_padding)
        overlap = _transposed(torch.ones(n, n), torch.ones(f, f), stride, padding, output_padding)
        # the k-th mask keeps input cells 0..k in row-major order: (n*n, n, n)
        order = torch.arange(n * n).reshape(n, n)
        masks = (order[None] <= torch.arange(n * n)[:, None, None]).float()
        steps = _transposed(masks * x, k, stride, padding, output_padding)
    return Spread(
        input=x,
        kernel=k,
        output=output,
        overlap=overlap.round(),
        steps=steps,
        formula=transposed_text(axis, output_padding),
        checkerboard=f % stride != 0,
    )
