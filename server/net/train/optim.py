"""How a run's parameters start (`initialize`) and move (`make_optimizer`)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from server.net.core.warmup import import_lazy_torch_modules
from server.net.train.config import TrainConfig


def initialize(module: nn.Module, how: str) -> None:
    if how == "default":
        return  # PyTorch's own (Kaiming-uniform with a=sqrt(5))
    with torch.no_grad():
        for m in module.modules():
            if not isinstance(m, nn.Conv2d | nn.Linear):
                continue
            if how == "xavier":
                nn.init.xavier_uniform_(m.weight)
            elif how == "kaiming":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif how == "normal":
                nn.init.normal_(m.weight, 0.0, 0.01)
            elif how == "zeros":
                # Every unit computes the same thing and (through ReLU) gets no gradient.
                nn.init.zeros_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def make_optimizer(
    module: nn.Module, config: TrainConfig, params: list[Any] | None = None
) -> torch.optim.Optimizer:
    """`params`: parameters or per-group dicts (transfer learning); default all of them."""
    import_lazy_torch_modules()  # torch._dynamo once, threads waiting for it (issue 20)
    params = list(module.parameters()) if params is None else params
    wd = config.l2 if config.l2_mode == "weight_decay" else 0.0
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, weight_decay=wd)
    if config.optimizer == "momentum":
        return torch.optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=wd)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr, weight_decay=wd)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=wd)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=wd)
