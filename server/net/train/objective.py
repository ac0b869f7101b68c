"""What a run minimises: the loss of a batch, the L1/L2 weight penalty, and the mean loss
and predictions of a held-out set (`evaluate`)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from server.net.train import report
from server.net.train.config import TrainConfig

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def loss(
    out: torch.Tensor, y: torch.Tensor, kind: str, num_classes: int, w: torch.Tensor | None = None
) -> torch.Tensor:
    if kind == "mse":
        # Raw outputs (N, K) against one-hot targets (N, K).
        return F.mse_loss(out, F.one_hot(y, num_classes).to(out.dtype))
    return F.cross_entropy(out, y, weight=w)  # w: class weights (issue 16) or None


def loss_fn(kind: str, num_classes: int, w: torch.Tensor | None) -> Loss:
    """`loss` with the run's constants bound once (the training loop calls it per batch)."""
    if kind == "mse":
        return lambda out, y: loss(out, y, kind, num_classes)
    return lambda out, y: F.cross_entropy(out, y, weight=w)


def conv_linear_weights(module: nn.Module) -> list[torch.Tensor]:
    """Weight matrices and kernels of conv/linear layers (not biases, not norm scales)."""
    return [m.weight for m in module.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def penalty_fn(module: nn.Module, config: TrainConfig) -> Callable[[], torch.Tensor] | None:
    """The L1 / L2 penalty of `module`'s weights as a function of no arguments (the weights
    found once), or None in the common case of no penalty: then a batch pays nothing."""
    l1 = config.l1
    l2 = config.l2 if config.l2_mode == "penalty" else 0.0
    if l1 == 0 and l2 == 0:
        return None
    weights = conv_linear_weights(module)

    def penalty() -> torch.Tensor:
        terms: list[torch.Tensor] = []
        if l1 > 0:
            terms.append(l1 * sum(w.abs().sum() for w in weights))  # type: ignore[arg-type]
        if l2 > 0:
            # l2/2 * ||w||^2: its gradient l2 * w matches weight_decay=l2 under SGD.
            terms.append(0.5 * l2 * sum(w.pow(2).sum() for w in weights))  # type: ignore[arg-type]
        return sum(terms)  # type: ignore[return-value]

    return penalty


def evaluate(
    module: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig,
    k: int,
    w: torch.Tensor | None = None,
) -> tuple[float, torch.Tensor]:
    """(mean loss, predictions (M,) on the CPU) in eval mode, without gradients."""
    module.eval()
    total, preds = 0.0, []
    step = report.eval_batch(x)
    with torch.no_grad():
        for i in range(0, len(x), step):
            out = module(x[i : i + step])
            total += float(loss(out, y[i : i + step], config.loss, k, w)) * len(out)
            preds.append(out.argmax(1))
    module.train()
    if not preds:
        return total, torch.zeros(0, dtype=torch.long)
    return total / len(x), torch.cat(preds).cpu()
