"""Exponentially weighted averages of a noisy series, with and without bias correction.

v_0 = 0, v_t = beta v_{t-1} + (1 - beta) theta_t; corrected: v_t / (1 - beta^t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

PERIOD = 365.0  # days in one seasonal cycle of the temperature series
MEAN = 16.0  # degrees
SWING = 8.0  # amplitude of the seasonal sine


def temperatures(n: int, seed: int, noise: float) -> list[float]:
    """n daily temperatures: a seasonal sine plus seeded Gaussian noise (std `noise`)."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.arange(1, n + 1, dtype=torch.float64)  # (n,)
    season = MEAN - SWING * torch.cos(2 * math.pi * t / PERIOD)  # cold start of the year
    jitter = noise * torch.randn(n, generator=gen, dtype=torch.float64)
    return (season + jitter).tolist()


@dataclass
class Averages:
    v: list[float]  # v_1..v_n, biased towards 0 at the start
    corrected: list[float]  # v_t / (1 - beta^t)


def ewa(theta: list[float], beta: float) -> Averages:
    v = 0.0
    out, corrected = [], []
    for t, value in enumerate(theta, start=1):
        v = beta * v + (1 - beta) * value
        out.append(v)
        corrected.append(v / (1 - beta**t))
    return Averages(out, corrected)
