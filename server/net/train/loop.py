"""The training loop: pure torch, driven by a plain-data config, reporting through a callback.

`train(spec, config, on_event, should_stop)` builds the spec, loads the dataset at the
spec's input size, and emits plain dict events:
  {"kind": "start", "iters_per_epoch", "total_iters", "train_size", "val_size",
   "input_stats": {"mean", "std"}}                                  (the dispatcher stores them)
  {"kind": "iter", "iter", "epoch", "loss", "acc"}                 every batch
  {"kind": "epoch", "epoch", "train_loss", "train_acc", "val_loss", "val_acc",
   "samples_per_s"}                                                 every epoch
  {"kind": "gradflow", "iter", "layers"}   with probe_every (server/net/lab/gradflow.py)
  {"kind": "snapshot", "iter", "filters", "probe", ...}   with `snapshot` limits, at most a
                                           few per second (server/net/train/snapshots.py)
A segmentation run (a dataset of masks, issue 16) trains per-pixel cross-entropy: "acc"
is then pixel accuracy, and its epoch events add "miou", "dice" and "masks" (a few held-out
examples as image | true | predicted mask, server/net/train/segmentation.py).
It returns a TrainResult; a NaN/inf loss ends the run as "diverged", `should_stop()`
(checked before every batch) as "cancelled", `should_pause()` (also before every batch) as
"paused" after writing a checkpoint. With `checkpoint_path` a checkpoint is also written at
the end of every epoch, and `resume=True` carries on from it (emitting
{"kind": "resume", "iter", "epoch"} instead of "start"): the result equals an
uninterrupted run's. A frozen prefix is run once per image, not once per epoch
(server/net/train/feature_cache.py); what the run reports and saves is the same.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from torch import nn

from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.core.warmup import import_lazy_torch_modules
from server.net.data import datasets, subsets
from server.net.lab import gradflow
from server.net.train import class_weights as class_weights_
from server.net.train import curve, feature_cache, report, segmentation, snapshots, transfer
from server.net.train.inputs import InputStats, input_scaling, run_data
from server.net.weights import checkpoint

Event = dict[str, Any]


class TrainConfig(BaseModel):
    """Everything about a run but the network. Bounds keep a run small enough to be safe."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # A name from GET /api/datasets: mnist, digits, shapes, mnist_full, fashion_mnist,
    # cifar10 or upload:<id> (whether it is on disk is checked by the runs API).
    dataset: str = Field("mnist", min_length=1, max_length=100)
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
    # Gradient flow (issue 8): a {"kind": "gradflow"} event on iterations 1, k+1, 2k+1...
    probe_every: int | None = Field(None, ge=1, le=1_000_000)
    # Hold out this fraction of the pooled train + held-out parts instead of the dataset's
    # own split: stratified, seeded by `seed`, before classes/per_class/train_limit.
    val_split: float | None = Field(None, ge=subsets.VAL_SPLIT_MIN, le=subsets.VAL_SPLIT_MAX)
    # normalize="standardize" with these per-channel statistics instead of the training
    # set's. The server fills it in: from the weights' preprocessing (ImageNet's mean/std)
    # when the run starts from such weights, else from the training set when the run starts,
    # so the run's scaling is stored with it (issue 12).
    input_stats: InputStats | None = None
    # What the run learns (issue 16): None follows the dataset (masks -> segmentation);
    # naming one that the dataset cannot give is refused.
    task: Literal["classification", "segmentation"] | None = None
    # Cross-entropy weighted per class by 1/sqrt(its share of the training targets): rare
    # mask classes (a line is ~1% of the pixels) learn as fast as common ones (issue 16).
    class_weights: class_weights_.ClassWeights = "none"
    # Inside the network (issue 19): snapshots of the filters and of one probe's feature maps
    # while it trains; the probe is held-out example `probe_index`, or the user's drawing.
    probe_index: int = Field(0, ge=0, le=10_000_000)
    probe_image: str | None = Field(None, max_length=snapshots.PROBE_IMAGE_CHARS)
    snapshots: bool = True  # (below the fields above: it shadows the module in this body)
    # Held-out examples the per-epoch curve is measured on (None: all; issue 20, curve.py).
    val_curve_samples: int | None = Field(250, ge=1)

    @field_validator("probe_image")
    @classmethod
    def _probe_png(cls, v: str | None) -> str | None:
        if v is not None:
            snapshots.decode_probe_image(v)  # ValueError names what is wrong
        return v

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, v: str) -> str:
        if not datasets.is_name(v):
            raise ValueError(
                f"unknown dataset {v[:80]!r}; known: {', '.join(datasets.NAMES)} or upload:<id>"
            )
        return v

    @model_validator(mode="after")
    def _weights_need_ce(self) -> TrainConfig:
        if self.class_weights != "none" and self.loss != "cross_entropy":
            raise ValueError(f"class_weights is for loss='cross_entropy', not {self.loss!r}")
        return self

    @model_validator(mode="after")
    def _stats_standardize(self) -> TrainConfig:
        if self.input_stats is not None and self.normalize != "standardize":
            raise ValueError(f'input_stats is for normalize="standardize", not {self.normalize!r}')
        return self

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
    status: Literal["done", "diverged", "cancelled", "paused"]
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


def _loss(
    out: torch.Tensor, y: torch.Tensor, kind: str, num_classes: int, w: torch.Tensor | None = None
) -> torch.Tensor:
    if kind == "mse":
        # Raw outputs (N, K) against one-hot targets (N, K).
        return F.mse_loss(out, F.one_hot(y, num_classes).to(out.dtype))
    return F.cross_entropy(out, y, weight=w)  # w: class weights (issue 16) or None


def _penalty(module: nn.Module, config: TrainConfig) -> torch.Tensor | None:
    if config.l1 == 0 and (config.l2 == 0 or config.l2_mode != "penalty"):
        return None  # the common case: do not walk the modules every batch
    terms: list[torch.Tensor] = []
    weights = _weights(module)
    if config.l1 > 0:
        terms.append(config.l1 * sum(w.abs().sum() for w in weights))
    if config.l2 > 0 and config.l2_mode == "penalty":
        # l2/2 * ||w||^2: its gradient l2 * w matches weight_decay=l2 under SGD.
        terms.append(0.5 * config.l2 * sum(w.pow(2).sum() for w in weights))
    return sum(terms) if terms else None  # type: ignore[return-value]


def evaluate(
    module: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig,
    k: int,
    w: torch.Tensor | None = None,
) -> tuple[float, torch.Tensor]:
    """(mean loss, predictions (M,)) in eval mode, without gradients."""
    module.eval()
    total, preds = 0.0, []
    step = report.eval_batch(x)
    with torch.no_grad():
        for i in range(0, len(x), step):
            out = module(x[i : i + step])
            total += float(_loss(out, y[i : i + step], config.loss, k, w)) * len(out)
            preds.append(out.argmax(1))
    module.train()
    return total / max(len(x), 1), torch.cat(preds) if preds else torch.zeros(0, dtype=torch.long)


def train(
    spec: NetworkSpec,
    config: TrainConfig,
    on_event: Callable[[Event], None],
    should_stop: Callable[[], bool] = lambda: False,
    max_params: int | None = None,
    *,
    should_pause: Callable[[], bool] = lambda: False,
    checkpoint_path: Path | None = None,
    resume: bool = False,
    max_misclassified: int = 500,
    data_dir: Path | str | None = None,
    init_weights: str | Path | bytes | None = None,
    cache_features: bool = True,
    snapshot: snapshots.Limits | dict[str, Any] | None = None,
) -> TrainResult:
    """`init_weights`: the file of config.init_from (a path or its bytes) as the weights
    library found it; None looks init_from up among the shipped weights. `cache_features`:
    train the head of a frozen prefix on features computed once (feature_cache.py); False
    runs the frozen layers every batch (benchmarks/transfer.py compares the two).
    `snapshot`: the limits of the "snapshot" events (server/net/train/snapshots.py); None
    takes none."""
    torch.manual_seed(config.seed)
    module = build_module(spec, max_params=max_params)
    initialize(module, config.init)
    transfer.check_frozen(spec, config.frozen)
    pretrained: set[str] = set()
    if config.init_from is not None:
        if init_weights is None:
            pretrained = transfer.load_pretrained(module, config.init_from, config.new_head)
        else:
            tensors = transfer.read_tensors(init_weights)
            pretrained = transfer.load_partial(module, tensors, config.new_head)
    transfer.freeze(module, config.frozen)
    groups = transfer.param_groups(module, pretrained, config.lr, config.pretrained_lr)
    if not groups:
        raise ValueError("frozen: every parameter is frozen; nothing would train")
    _, height, width = spec.input.shape
    data = run_data(config, spec.input.channels, height, width, data_dir)
    mean, std = input_scaling(data.x_train, config)
    x, y = (data.x_train - mean) / std, data.y_train  # (N, C, H, W), (N,)
    vx, vy = (data.x_val - mean) / std, data.y_val
    k, names = data.num_classes, data.class_names
    seg = segmentation.task_of(config.task, data.task, config.dataset) == segmentation.TASK
    show = segmentation.Showcase.of(data) if seg else None
    if seg:
        segmentation.check_config(config.loss)
    del data  # the scaled copies (or their features) are all the run keeps
    weights = class_weights_.of(y, k, config.class_weights)
    opt = make_optimizer(module, config, groups)
    per_epoch = math.ceil(len(x) / config.batch_size)
    gen = torch.Generator().manual_seed(config.seed)
    at = checkpoint.Progress()
    if resume and checkpoint_path is not None and checkpoint_path.is_file():
        at = checkpoint.load(checkpoint_path, module, opt, gen)
        on_event({"kind": "resume", "iter": at.step, "epoch": at.epoch})
    else:
        on_event(
            {
                "kind": "start",
                "iters_per_epoch": per_epoch,
                "total_iters": per_epoch * config.epochs,
                "train_size": len(x),
                "val_size": len(vx),
                # What the run scales its inputs with (stored with the run, issue 12).
                "input_stats": {"mean": mean.flatten().tolist(), "std": std.flatten().tolist()},
            }
        )
    snap = snapshots.taker(
        spec, module, config, snapshot, (vx, vy), (mean, std), names, on_event, at.step, at.epoch
    )
    # `net` is what every batch runs: the whole module, or only the layers after a frozen
    # prefix whose output for each image was computed once (x, vx then hold features).
    net: nn.Module = module
    prefix = feature_cache.frozen_prefix(spec, config.frozen)
    if cache_features and not feature_cache.blocker(spec, module, prefix, config.probe_every):
        backbone = module.layers[:prefix]  # type: ignore[index]
        x = feature_cache.extract(backbone, x, should_stop)  # type: ignore[assignment]
        vx = feature_cache.extract(backbone, vx, should_stop)  # type: ignore[assignment]
        if x is None or vx is None:
            return TrainResult("cancelled", "stopped while computing features", module=module)
        net = module.layers[prefix:]  # type: ignore[index]
    # A segmentation run's mIoU and its live examples read the whole held-out set.
    cx, cy = (vx, vy) if seg else curve.sample(vx, vy, config.val_curve_samples, config.seed)
    while at.epoch <= config.epochs:
        epoch = at.epoch
        if at.order is None:
            at.order = torch.randperm(len(x), generator=gen)
        order = at.order
        module.train()  # evaluate() ends in train mode too; frozen norms go back to eval
        transfer.keep_frozen_norms_eval(module, config.frozen)
        started = time.monotonic() - at.elapsed
        for i in range(at.offset, len(x), config.batch_size):
            if should_stop():
                return TrainResult("cancelled", f"stopped in epoch {epoch}", module=module)
            if should_pause() and checkpoint_path is not None:
                at.offset, at.elapsed = i, time.monotonic() - started
                checkpoint.save(checkpoint_path, module, opt, gen, at)
                msg = f"paused at iteration {at.step} (epoch {epoch})"
                return TrainResult("paused", msg, module=module)
            batch = order[i : i + config.batch_size]
            target = y[batch]
            out = net(x[batch])
            loss = _loss(out, target, config.loss, k, weights)
            penalty = _penalty(module, config)  # frozen weights count, as without a cache
            total = loss + penalty if penalty is not None else loss
            total_value = float(total.detach())  # one read per batch (benchmarks/training.py)
            if not math.isfinite(total_value):
                msg = (
                    f"the loss became {total_value} at iteration {at.step + 1} "
                    f"(epoch {epoch}); try a smaller learning rate"
                )
                return TrainResult("diverged", msg, module=module)
            opt.zero_grad()
            total.backward()
            gradflow.maybe_probe(module, x, batch, at.step + 1, config.probe_every, on_event)
            opt.step()
            at.step += 1
            hits = int((out.argmax(1) == target).sum())
            px = target[0].numel()  # 1 per label; H * W per mask (segmentation)
            batch_loss = total_value if penalty is None else float(loss.detach())
            at.seen += len(batch)
            at.loss_sum += batch_loss * len(batch)
            at.correct += hits if px == 1 else hits / px  # in images, as `seen`
            on_event(
                {
                    "kind": "iter",
                    "iter": at.step,
                    "epoch": epoch,
                    "loss": batch_loss,
                    "acc": hits / target.numel(),
                }
            )
            snap.tick(at.step, epoch)
        elapsed = time.monotonic() - started
        val_loss, pred = evaluate(net, cx, cy, config, k, weights)
        if not math.isfinite(val_loss):
            return TrainResult("diverged", f"the validation loss became {val_loss}", module=module)
        summary = {
            "kind": "epoch",
            "epoch": epoch,
            "train_loss": at.loss_sum / at.seen,
            "train_acc": at.correct / at.seen,
            "val_loss": val_loss,
            "val_acc": float((pred == cy).float().mean()),
            "val_samples": len(cy),
            "samples_per_s": at.seen / elapsed if elapsed > 0 else None,
        }
        if seg:  # held-out mIoU and Dice, and the live examples' masks
            summary.update(segmentation.epoch_fields(pred, vy, k, show))
        on_event(summary)
        at.history.append({k: v for k, v in summary.items() if k != "masks"})  # no images
        at.next_epoch()
        if checkpoint_path is not None:  # a worker killed later resumes from here
            checkpoint.save(checkpoint_path, module, opt, gen, at)
    snap.take(at.step, config.epochs)  # the trained filters close the replay
    if seg:
        final = segmentation.final_metrics(net, vx, vy, k, names, max_misclassified)
    else:
        final = report.final_metrics(net, vx, vy, k, config.classes, max_misclassified, names)
    return TrainResult("done", "", final, module)
