"""Train vs eval mode: one seeded batch through linear -> batchnorm1d -> relu -> dropout.

Train mode: batch norm normalises with this batch's mean and (biased) variance and
dropout zeroes each unit with probability p, scaling the kept ones by 1 / (1 - p)
(inverted dropout). Eval mode: batch norm uses the running mean/var gathered during
warm-up batches and dropout passes everything through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

IN_FEATURES = 6
UNITS = 8
WARMUP = 5  # training batches that fill batch norm's running statistics


def small_net(p: float, batchnorm: bool) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(IN_FEATURES, UNITS),
        nn.BatchNorm1d(UNITS) if batchnorm else nn.Identity(),
        nn.ReLU(),
        nn.Dropout(p),
    )


@dataclass
class ModeRun:
    hidden: list[list[float]]  # (batch, units): after relu, before dropout
    output: list[list[float]]  # (batch, units)
    mean: list[float] | None  # (units,) statistics batch norm normalised with
    var: list[float] | None


@dataclass
class Modes:
    p: float
    scale: float  # 1 / (1 - p)
    kept: list[list[bool]]  # (batch, units): dropout's mask in train mode
    train: ModeRun
    eval: ModeRun
    warmup_batches: int


def _run(net: nn.Sequential, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    hidden = net[:3](x)  # (batch, units)
    return hidden, net[3](hidden)


def compare(p: float, seed: int, batch: int, batchnorm: bool = True) -> Modes:
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():  # parameter init and dropout use the global generator
        torch.manual_seed(seed)
        net = small_net(p, batchnorm)
        x = 2 * torch.randn(batch, IN_FEATURES, generator=gen) + 1  # (batch, in)
        with torch.no_grad():
            net.train()
            for _ in range(WARMUP):  # shifted, scaled batches: running stats move off 0 / 1
                net(2 * torch.randn(batch, IN_FEATURES, generator=gen) + 1)
            bn = net[1]
            has_bn = isinstance(bn, nn.BatchNorm1d)

            net.eval()  # first, so the running statistics shown are the ones it used
            run_mean = bn.running_mean.tolist() if has_bn else None
            run_var = bn.running_var.tolist() if has_bn else None
            e_hidden, e_out = _run(net, x)

            net.train()
            pre = net[0](x)  # (batch, units): what batch norm sees
            b_mean = pre.mean(0).tolist() if has_bn else None
            b_var = pre.var(0, unbiased=False).tolist() if has_bn else None
            state = torch.get_rng_state()
            t_hidden, t_out = _run(net, x)
            # Same generator state, same shape: dropout draws the same mask on a tensor of ones.
            torch.set_rng_state(state)
            kept = F.dropout(torch.ones_like(t_hidden), p, True) != 0
    return Modes(
        p=p,
        scale=1 / (1 - p),
        kept=kept.tolist(),
        train=ModeRun(t_hidden.tolist(), t_out.tolist(), b_mean, b_var),
        eval=ModeRun(e_hidden.tolist(), e_out.tolist(), run_mean, run_var),
        warmup_batches=WARMUP,
    )
