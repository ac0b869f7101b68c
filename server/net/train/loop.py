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

`device` ("cpu", "cuda", ...): where the module, the data and every batch live; one code
path for all of them. Events are plain floats, checkpoints hold CPU tensors, predictions
and metrics come back to the CPU, and the returned module is on the CPU.

The pieces: config.py (TrainConfig), optim.py (initialize, make_optimizer), objective.py
(the loss, the penalty, evaluate), epoch.py (the per-batch step), result.py (TrainResult).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.train import class_weights as class_weights_
from server.net.train import curve, feature_cache, report, segmentation, snapshots, transfer
from server.net.train.config import TrainConfig
from server.net.train.epoch import Batches
from server.net.train.inputs import input_scaling, run_data
from server.net.train.objective import evaluate, loss_fn, penalty_fn
from server.net.train.optim import initialize, make_optimizer
from server.net.train.result import TrainResult
from server.net.weights import checkpoint

# What the rest of the code imports from here (the pieces live in their own modules).
__all__ = ["TrainConfig", "TrainResult", "evaluate", "initialize", "make_optimizer", "train"]

Event = dict[str, Any]


def _prepare(
    spec: NetworkSpec,
    config: TrainConfig,
    module: nn.Module,
    init_weights: str | Path | bytes | None,
) -> list[dict[str, Any]]:
    """Initialise, load pretrained weights, freeze: the optimizer's parameter groups."""
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
    return groups


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
    device: str | torch.device = "cpu",
) -> TrainResult:
    """`init_weights`: the file of config.init_from (a path or its bytes) as the weights
    library found it; None looks init_from up among the shipped weights. `cache_features`:
    train the head of a frozen prefix on features computed once (feature_cache.py); False
    runs the frozen layers every batch (benchmarks/transfer.py compares the two).
    `snapshot`: the limits of the "snapshot" events (server/net/train/snapshots.py); None
    takes none. `device`: where it trains; the result's module is back on the CPU."""
    dev = torch.device(device)
    torch.manual_seed(config.seed)
    module = build_module(spec, max_params=max_params)
    try:
        groups = _prepare(spec, config, module, init_weights)
        module.to(dev)  # in place: the same Parameter objects, now on `dev`
        _, height, width = spec.input.shape
        data = run_data(config, spec.input.channels, height, width, data_dir)
        mean, std = input_scaling(data.x_train, config)  # (1, C, 1, 1) each, on the CPU
        x, y = (data.x_train - mean) / std, data.y_train  # (N, C, H, W), (N,)
        vx, vy = (data.x_val - mean) / std, data.y_val
        k, names = data.num_classes, data.class_names
        seg = segmentation.task_of(config.task, data.task, config.dataset) == segmentation.TASK
        show = segmentation.Showcase.of(data) if seg else None
        if seg:
            segmentation.check_config(config.loss)
        del data  # the scaled copies (or their features) are all the run keeps
        weights = class_weights_.of(y, k, config.class_weights)
        weights = weights.to(dev) if weights is not None else None
        opt = make_optimizer(module, config, groups)
        per_epoch = math.ceil(len(x) / config.batch_size)
        gen = torch.Generator().manual_seed(config.seed)  # the CPU's: orders are checkpointed
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
            spec,
            module,
            config,
            snapshot,
            (vx, vy),
            (mean, std),
            names,
            on_event,
            at.step,
            at.epoch,
            device=dev,
        )
        x, y, vx, vy_dev = x.to(dev), y.to(dev), vx.to(dev), vy.to(dev)  # no copy on the CPU
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
        cx, cy = (
            (vx, vy_dev) if seg else curve.sample(vx, vy_dev, config.val_curve_samples, config.seed)
        )
        cy_cpu = cy.cpu()
        batches = Batches(
            module,
            net,
            opt,
            x,
            y,
            config.batch_size,
            loss_fn(config.loss, k, weights),
            penalty_fn(module, config),
            config.probe_every,
            gen,
            snap,
            on_event,
            should_stop,
            should_pause,
            checkpoint_path,
        )
        while at.epoch <= config.epochs:
            epoch = at.epoch
            module.train()  # evaluate() ends in train mode too; frozen norms go back to eval
            transfer.keep_frozen_norms_eval(module, config.frozen)
            ended = batches.run(at)
            if ended is not None:
                return ended
            val_loss, pred = evaluate(net, cx, cy, config, k, weights)  # pred on the CPU
            if not math.isfinite(val_loss):
                return TrainResult(
                    "diverged", f"the validation loss became {val_loss}", module=module
                )
            summary = {
                "kind": "epoch",
                "epoch": epoch,
                "train_loss": at.loss_sum / at.seen,
                "train_acc": at.correct / at.seen,
                "val_loss": val_loss,
                "val_acc": float((pred == cy_cpu).float().mean()),
                "val_samples": len(cy),
                "samples_per_s": at.seen / at.elapsed if at.elapsed > 0 else None,
            }
            if seg:  # held-out mIoU and Dice, and the live examples' masks
                summary.update(segmentation.epoch_fields(pred, vy, k, show))
            on_event(summary)
            at.history.append({k: v for k, v in summary.items() if k != "masks"})  # no images
            at.next_epoch()
            if checkpoint_path is not None:  # a worker killed later resumes from here
                checkpoint.save(checkpoint_path, module, opt, gen, at)
        snap.take(at.step, config.epochs)  # the trained filters close the replay
        if seg:  # predictions come back to the CPU (report.predict): labels are the CPU's
            final = segmentation.final_metrics(net, vx, vy, k, names, max_misclassified)
        else:
            final = report.final_metrics(net, vx, vy, k, config.classes, max_misclassified, names)
        return TrainResult("done", "", final, module)
    finally:
        module.cpu()  # in place; weights are saved from the CPU (server/jobs/worker.py)
