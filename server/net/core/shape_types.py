"""What a leaf layer's shape rule works with and returns (leaf_shapes.py and
upsampling_shapes.py hold the rules): per-sample shapes, the window a layer slides (for
receptive fields), the memo of geometry already worked out, and small helpers.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

Shape = tuple[int, ...]
# A layer's (kernel_h, kernel_w, stride_h, stride_w) in units of its input's pixels. An
# upsampling layer steps a fraction of an input pixel per output pixel (1/2 for x2), so
# its stride (and a transposed conv's kernel) may be a Fraction.
Window = tuple[int | Fraction, int | Fraction, int | Fraction, int | Fraction]


class _Geometry(NamedTuple):
    """What a conv or pool does to an h x w input."""

    height: int
    width: int
    window: Window
    formula: str


# Geometry already worked out in this walk, keyed by the numbers it depends on:
# ResNet-152 has 155 convs of a few distinct shapes, each with its formula text.
Memo = dict[tuple[object, ...], _Geometry]


class _Out(NamedTuple):
    shape: Shape
    params: int = 0
    macs: int = 0
    window: Window | None = None  # None: the receptive field is unchanged
    formula: str | None = None
    variant: str | None = None  # "depthwise" for a conv with one group per channel


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def fmt(shape: Shape) -> str:
    """(64, 56, 56), and (10,) for one axis: Python's own way of writing a tuple."""
    return str(tuple(shape))


def need_image(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(
            f"{what} needs an image (C, H, W) but gets {fmt(shape)}; move it before the flatten"
        )
    return shape  # type: ignore[return-value]
