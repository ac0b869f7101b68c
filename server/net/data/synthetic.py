"""Synthetic shapes: circles, squares, triangles and lines in colour, generated from a seed.

Every sample draws its size, position, rotation, colours and noise level from one torch
Generator, so a seed gives the same images at any resolution (the parameters are fractions
of the side). Each shape is a signed distance field over the pixel grid, anti-aliased by a
one-pixel ramp, so the whole set is a few vectorised tensor operations (issue 6).
"""

from __future__ import annotations

import math

import torch

CLASSES = ("circle", "square", "triangle", "line")
# What each pixel of a shapes mask is (issue 16): index 0 is background, k + 1 is CLASSES[k].
MASK_CLASSES = ("background", *CLASSES)
# (R, G, B) -> luminance, ITU-R BT.601: what a 1-channel network sees of a colour image.
LUMA = (0.299, 0.587, 0.114)


def _params(n: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Per-sample parameters, all as fractions of the side; drawn in a fixed order."""

    def u(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, *shape, generator=gen)

    labels = torch.randint(0, len(CLASSES), (n,), generator=gen)
    radius = u(0.16, 0.34)  # circumradius / side
    # Centre far enough from the edge that the shape stays (nearly) whole.
    cx = radius + u(0.0, 1.0) * (1 - 2 * radius)
    cy = radius + u(0.0, 1.0) * (1 - 2 * radius)
    angle = u(0.0, 2 * math.pi)
    # Colours far apart in brightness: a dark background and a bright shape, swapped
    # for half the samples, so the shape survives the conversion to grey.
    dark, bright = u(0.0, 0.35, 3), u(0.6, 1.0, 3)
    swap = torch.rand(n, 1, generator=gen) < 0.5
    fg = torch.where(swap, dark, bright)
    bg = torch.where(swap, bright, dark)
    noise = u(0.0, 0.08)  # std of per-pixel Gaussian noise
    return {
        "labels": labels,
        "radius": radius,
        "cx": cx,
        "cy": cy,
        "angle": angle,
        "fg": fg,
        "bg": bg,
        "noise": noise,
    }


def _distance(p: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
    """Signed distance in pixels (negative inside) of each sample's shape: (N, H, W)."""
    side = min(height, width)
    n = len(p["labels"])
    ys = (torch.arange(height, dtype=torch.float32) + 0.5).view(1, height, 1)
    xs = (torch.arange(width, dtype=torch.float32) + 0.5).view(1, 1, width)
    out = torch.empty(n, height, width)
    for label in range(len(CLASSES)):  # each sample's own shape only: 4x less work
        idx = torch.nonzero(p["labels"] == label).flatten()
        if len(idx) == 0:
            continue
        # Centres scale with each axis, sizes with the shorter side.
        dx = xs - (p["cx"][idx] * width).view(-1, 1, 1)
        dy = ys - (p["cy"][idx] * height).view(-1, 1, 1)
        r = (p["radius"][idx] * side).view(-1, 1, 1)
        a = p["angle"][idx].view(-1, 1, 1)
        cos, sin = torch.cos(a), torch.sin(a)
        u, v = dx * cos + dy * sin, -dx * sin + dy * cos  # rotated coordinates
        if label == 0:  # circle
            d = torch.sqrt(dx * dx + dy * dy) - r
        elif label == 1:  # square inscribed in the circle
            d = torch.maximum(u.abs(), v.abs()) - r * math.sqrt(0.5)
        elif label == 2:  # equilateral triangle: three half-planes at 120 degrees, inradius r/2
            d = u
            for t in (2 * math.pi / 3, 4 * math.pi / 3):
                d = torch.maximum(d, u * math.cos(t) + v * math.sin(t))
            d = d - r / 2
        else:  # line: a bar 2r long
            half_thick = max(0.75, 0.05 * side)
            d = torch.maximum(u.abs() - r, v.abs() - half_thick)
        out[idx] = d
    return out


def _render(
    n: int, height: int, width: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(images (N, 3, H, W) in [0, 1], labels (N,), signed distances (N, H, W))."""
    if n < 0 or height < 1 or width < 1:
        raise ValueError(f"shapes: n={n}, height={height}, width={width} must be positive")
    gen = torch.Generator().manual_seed(seed)
    p = _params(n, gen)
    d = _distance(p, height, width)
    alpha = (0.5 - d).clamp(0, 1).unsqueeze(1)  # (N, 1, H, W)
    fg = p["fg"].view(n, 3, 1, 1)
    bg = p["bg"].view(n, 3, 1, 1)
    img = bg + (fg - bg) * alpha
    noise = torch.randn(n, 3, height, width, generator=gen) * p["noise"].view(n, 1, 1, 1)
    return (img + noise).clamp(0, 1), p["labels"], d


def generate(n: int, height: int, width: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n images (n, 3, height, width) float32 in [0, 1] and labels (n,) int64 (CLASSES)."""
    img, labels, _ = _render(n, height, width, seed)
    return img, labels


def generate_masks(
    n: int, height: int, width: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The images and labels of `generate` (same seed, same pixels) and their masks
    (n, height, width) int64: 0 for background, 1 + the shape's label (MASK_CLASSES) where
    the pixel's centre lies inside the shape, i.e. where it is at least half shape colour
    (issue 16)."""
    img, labels, d = _render(n, height, width, seed)
    inside = d < 0  # alpha = clamp(0.5 - d) > 0.5
    masks = torch.where(inside, (labels + 1).view(-1, 1, 1), torch.zeros((), dtype=torch.long))
    return img, labels, masks


def to_gray(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB -> (N, 1, H, W) luminance."""
    w = torch.tensor(LUMA, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)
