"""The training loop: pure torch, driven by a plain-data config, reporting through a callback.

`train(spec, config, on_event, should_stop)` builds the spec, loads the dataset at the
spec's input size, and emits plain dict events:
  {"kind": "start", "iters_per_epoch", "total_iters", "train_size", "val_size"}
  {"kind": "iter", "iter", "epoch", "loss", "acc"}                 every batch
  {"kind": "epoch", "epoch", "train_loss", "train_acc", "val_loss", "val_acc",
   "samples_per_s"}                                                 every epoch
It returns a TrainResult; a NaN/inf loss ends the run as "diverged", `should_stop()`
(checked before every batch) as "cancelled".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, field_validator
from torch import nn

from server.net import datasets, metrics, transfer
from server.net.build import build_module
from server.net.spec import NetworkSpec

Event = dict[str, Any]
EVAL_BATCH = 500
# Pixel values a dataset had before [0, 1] scaling, for normalize="none".
RAW_MAX = {"mnist": 255.0, "digits": 16.0}


class TrainConfig(BaseModel):
    """Everything about a run but the network. Bounds keep a run small enough to be safe."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    dataset: Literal["mnist", "digits"] = "mnist"
    batch_size: int = Field(64, ge=1, le=4096)
    epochs: int = Field(2, ge=1, le=100)
    lr: float = Field(1e-3, gt=0, le=1e7)
    optimizer: Literal["sgd", "momentum", "rmsprop", "adam", "adamw"] = "adam"
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"
    init: Literal["default", "xavier", "kaiming", "normal", "zeros"] = "default"
    l1: float = Field(0.0, ge=0, le=10)
    l2: float = Field(0.0, ge=0, le=10)
    l2_mode: Literal["penalty", "weight_decay"] = "penalty"
    normalize: Literal["standardize", "scale", "none"] = "standardize"
    seed: int = Field(0, ge=0, le=2**31 - 1)
    # Keep only the first n training samples: quick runs and tests.
    train_limit: int | None = Field(None, ge=1)
    # Transfer learning: a class subset (relabelled 0..k-1 in order), a per-class cap on
    # training samples (seeded), layer paths to freeze, shipped weights to start from.
    classes: list[int] | None = Field(None, min_length=2, max_length=10)
    per_class: int | None = Field(None, ge=1)
    frozen: list[str] = Field(default_factory=list, max_length=200)
    init_from: str | None = Field(None, max_length=100)
    # Re-initialise the last linear layer even when its shape matches the file's.
    new_head: bool = True
    # Learning rate of pretrained layers that are not frozen (None: the same as lr).
    pretrained_lr: float | None = Field(None, gt=0, le=1e7)

    @field_validator("classes")
    @classmethod
    def _distinct(cls, v: list[int] | None) -> list[int] | None:
        if v is not None:
            if len(set(v)) != len(v):
                raise ValueError(f"classes must be distinct, got {v}")
            if any(c < 0 for c in v):
                raise ValueError(f"classes must be labels >= 0, got {v}")
        return v


@dataclass
class TrainResult:
    status: Literal["done", "diverged", "cancelled"]
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    module: nn.Module | None = None


def _weights(module: nn.Module) -> list[torch.Tensor]:
    """Weight matrices and kernels of conv/linear layers (not biases, not norm scales)."""
    return [m.weight for m in module.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


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


def _loss(out: torch.Tensor, y: torch.Tensor, kind: str, num_classes: int) -> torch.Tensor:
    if kind == "mse":
        # Raw outputs (N, K) against one-hot targets (N, K).
        return F.mse_loss(out, F.one_hot(y, num_classes).to(out.dtype))
    return F.cross_entropy(out, y)


def _penalty(module: nn.Module, config: TrainConfig) -> torch.Tensor | None:
    terms: list[torch.Tensor] = []
    weights = _weights(module)
    if config.l1 > 0:
        terms.append(config.l1 * sum(w.abs().sum() for w in weights))
    if config.l2 > 0 and config.l2_mode == "penalty":
        # l2/2 * ||w||^2: its gradient l2 * w matches weight_decay=l2 under SGD.
        terms.append(0.5 * config.l2 * sum(w.pow(2).sum() for w in weights))
    return sum(terms) if terms else None  # type: ignore[return-value]


def _normalizer(x: torch.Tensor, config: TrainConfig) -> Callable[[torch.Tensor], torch.Tensor]:
    if config.normalize == "standardize":
        mean, std = float(x.mean()), float(x.std()) or 1.0  # from the training set only
        return lambda t: (t - mean) / std
    if config.normalize == "none":
        scale = RAW_MAX[config.dataset]
        return lambda t: t * scale
    return lambda t: t  # "scale": pixels already in [0, 1]


def evaluate(
    module: nn.Module, x: torch.Tensor, y: torch.Tensor, config: TrainConfig, k: int
) -> tuple[float, torch.Tensor]:
    """(mean loss, predictions (M,)) in eval mode, without gradients."""
    module.eval()
    total, preds = 0.0, []
    with torch.no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            out = module(x[i : i + EVAL_BATCH])
            total += float(_loss(out, y[i : i + EVAL_BATCH], config.loss, k)) * len(out)
            preds.append(out.argmax(1))
    module.train()
    return total / max(len(x), 1), torch.cat(preds) if preds else torch.zeros(0, dtype=torch.long)


def train(
    spec: NetworkSpec,
    config: TrainConfig,
    on_event: Callable[[Event], None],
    should_stop: Callable[[], bool] = lambda: False,
    max_params: int | None = None,
) -> TrainResult:
    torch.manual_seed(config.seed)
    module = build_module(spec, max_params=max_params)
    initialize(module, config.init)
    transfer.check_frozen(spec, config.frozen)
    pretrained: set[str] = set()
    if config.init_from is not None:
        pretrained = transfer.load_pretrained(module, config.init_from, config.new_head)
    transfer.freeze(module, config.frozen)
    groups = transfer.param_groups(module, pretrained, config.lr, config.pretrained_lr)
    if not groups:
        raise ValueError("frozen: every parameter is frozen; nothing would train")
    _, height, width = spec.input.shape
    data = datasets.load(
        config.dataset,
        height,
        width,
        config.train_limit,
        classes=config.classes,
        per_class=config.per_class,
        seed=config.seed,
    )
    norm = _normalizer(data.x_train, config)
    x, y = norm(data.x_train), data.y_train  # (N, 1, H, W), (N,)
    vx, vy = norm(data.x_val), data.y_val
    k = data.num_classes
    opt = make_optimizer(module, config, groups)
    per_epoch = math.ceil(len(x) / config.batch_size)
    on_event(
        {
            "kind": "start",
            "iters_per_epoch": per_epoch,
            "total_iters": per_epoch * config.epochs,
            "train_size": len(x),
            "val_size": len(vx),
        }
    )
    gen = torch.Generator().manual_seed(config.seed)
    step = 0
    module.train()
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(len(x), generator=gen)
        module.train()  # evaluate() ends in train mode too; frozen norms go back to eval
        transfer.keep_frozen_norms_eval(module, config.frozen)
        seen, loss_sum, correct, started = 0, 0.0, 0, time.monotonic()
        for i in range(0, len(x), config.batch_size):
            if should_stop():
                return TrainResult("cancelled", f"stopped in epoch {epoch}", module=module)
            batch = order[i : i + config.batch_size]
            out = module(x[batch])
            loss = _loss(out, y[batch], config.loss, k)
            penalty = _penalty(module, config)
            total = loss + penalty if penalty is not None else loss
            if not torch.isfinite(total.detach()):
                msg = (
                    f"the loss became {float(total.detach())} at iteration {step + 1} "
                    f"(epoch {epoch}); try a smaller learning rate"
                )
                return TrainResult("diverged", msg, module=module)
            opt.zero_grad()
            total.backward()
            opt.step()
            step += 1
            hits = int((out.argmax(1) == y[batch]).sum())
            seen, loss_sum, correct = (
                seen + len(batch),
                loss_sum + float(loss.detach()) * len(batch),
                correct + hits,
            )
            on_event(
                {
                    "kind": "iter",
                    "iter": step,
                    "epoch": epoch,
                    "loss": float(loss.detach()),
                    "acc": hits / len(batch),
                }
            )
        elapsed = time.monotonic() - started
        val_loss, pred = evaluate(module, vx, vy, config, k)
        if not math.isfinite(val_loss):
            return TrainResult("diverged", f"the validation loss became {val_loss}", module=module)
        on_event(
            {
                "kind": "epoch",
                "epoch": epoch,
                "train_loss": loss_sum / seen,
                "train_acc": correct / seen,
                "val_loss": val_loss,
                "val_acc": float((pred == vy).float().mean()),
                "samples_per_s": seen / elapsed if elapsed > 0 else None,
            }
        )
    _, pred = evaluate(module, vx, vy, config, k)
    return TrainResult("done", "", metrics.summarize(pred, vy, k), module)
