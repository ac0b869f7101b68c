"""Classic image kernels, each with a one-line note on what it detects.

Values are plain nested lists (f x f) so they travel as JSON unchanged; the
animator applies one to every input channel (see convolve.named_weight).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kernel:
    name: str
    title: str
    values: tuple[tuple[float, ...], ...]  # (f, f)
    note: str


def _k(name: str, title: str, rows: list[list[float]], note: str) -> Kernel:
    return Kernel(name, title, tuple(tuple(float(v) for v in r) for r in rows), note)


_G = 1 / 16
KERNELS: dict[str, Kernel] = {
    k.name: k
    for k in [
        _k(
            "identity",
            "Identity",
            [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
            "Copies each pixel: the output equals the input.",
        ),
        _k(
            "box_blur",
            "Box blur",
            [[1 / 9] * 3] * 3,
            "Averages each 3x3 neighbourhood: smooths noise and detail.",
        ),
        _k(
            "gaussian",
            "Gaussian blur",
            [[_G, 2 * _G, _G], [2 * _G, 4 * _G, 2 * _G], [_G, 2 * _G, _G]],
            "A weighted average that favours the centre: a softer, rounder blur.",
        ),
        _k(
            "sharpen",
            "Sharpen",
            [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
            "Adds the difference from the neighbours back: edges look crisper.",
        ),
        _k(
            "sobel_x",
            "Sobel x",
            [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
            "Brightness changing left to right: responds to vertical edges.",
        ),
        _k(
            "sobel_y",
            "Sobel y",
            [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
            "Brightness changing top to bottom: responds to horizontal edges.",
        ),
        _k(
            "laplacian",
            "Laplacian",
            [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
            "Second derivative: zero on flat areas and ramps, strong at edges and dots.",
        ),
        _k(
            "outline",
            "Edge / outline",
            [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
            "Centre minus all 8 neighbours: outlines every edge, in every direction.",
        ),
        _k(
            "emboss",
            "Emboss",
            [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
            "A diagonal derivative plus the pixel: looks lit from the bottom right.",
        ),
    ]
}


def kernel(name: str) -> Kernel:
    """The kernel called `name`; KeyError names the ones that exist."""
    try:
        return KERNELS[name]
    except KeyError:
        raise KeyError(f"unknown kernel {name!r}; one of {', '.join(KERNELS)}") from None
