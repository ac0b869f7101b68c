"""One epoch of a run: the per-batch step and what each batch reports.

A batch is the textbook loop's forward, loss, zero_grad, backward, step, plus only what
the job needs: the stop and pause checks, one read of the loss (the divergence check and
the "iter" event's loss), the batch's hits (its "acc"), the event, and the snapshot
taker's clock check. What does not change between batches (the loss with its constants,
whether there is a penalty, the values per target) is worked out once per run here, so
that a job trains as fast as the plain loop (issue 20: benchmarks/training.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from server.net.lab import gradflow
from server.net.train import objective, snapshots
from server.net.train.result import TrainResult
from server.net.weights import checkpoint

Event = dict[str, Any]


@dataclass
class Batches:
    """What every batch of a run uses; `run(at)` trains the epoch `at` stands in."""

    module: nn.Module  # the whole network: gradient flow probes it, the penalty reads it
    net: nn.Module  # what a batch runs: `module`, or its layers after a cached frozen prefix
    opt: torch.optim.Optimizer
    x: torch.Tensor  # (N, C, H, W) scaled images (or their features), on the run's device
    y: torch.Tensor  # (N,) labels or (N, H, W) masks, on the same device
    batch_size: int
    loss: objective.Loss
    penalty: Callable[[], torch.Tensor] | None
    probe_every: int | None
    gen: torch.Generator
    snap: snapshots.Taker | snapshots.Off
    on_event: Callable[[Event], None]
    should_stop: Callable[[], bool]
    should_pause: Callable[[], bool]
    checkpoint_path: Path | None

    def run(self, at: checkpoint.Progress) -> TrainResult | None:
        """Train from `at.offset` to the end of epoch `at.epoch`, updating `at`; a
        TrainResult when the run ends inside it (cancelled, paused, diverged), else None."""
        epoch, x, y, bs, net, opt = at.epoch, self.x, self.y, self.batch_size, self.net, self.opt
        loss_of, penalty, on_event, tick = self.loss, self.penalty, self.on_event, self.snap.tick
        should_stop, should_pause = self.should_stop, self.should_pause
        if at.order is None:
            at.order = torch.randperm(len(x), generator=self.gen)  # on the CPU: checkpointed
        order = at.order.to(x.device)
        px = y[0].numel() if len(y) else 1  # values per target: 1 per label, H * W per mask
        started = time.monotonic() - at.elapsed
        for i in range(at.offset, len(x), bs):
            if should_stop():
                return TrainResult("cancelled", f"stopped in epoch {epoch}", module=self.module)
            if should_pause() and self.checkpoint_path is not None:
                at.offset, at.elapsed = i, time.monotonic() - started
                checkpoint.save(self.checkpoint_path, self.module, opt, self.gen, at)
                msg = f"paused at iteration {at.step} (epoch {epoch})"
                return TrainResult("paused", msg, module=self.module)
            batch = order[i : i + bs]
            target = y[batch]
            out = net(x[batch])
            loss = loss_of(out, target)
            total = loss if penalty is None else loss + penalty()  # frozen weights count too
            value = total.item()  # the one read of the loss per batch
            if not math.isfinite(value):
                msg = (
                    f"the loss became {value} at iteration {at.step + 1} "
                    f"(epoch {epoch}); try a smaller learning rate"
                )
                return TrainResult("diverged", msg, module=self.module)
            opt.zero_grad()
            total.backward()
            if self.probe_every:
                gradflow.maybe_probe(self.module, x, batch, at.step + 1, self.probe_every, on_event)
            opt.step()
            at.step += 1
            hits = (out.argmax(1) == target).sum().item()
            n = len(target)
            batch_loss = value if penalty is None else loss.item()
            at.seen += n
            at.loss_sum += batch_loss * n
            at.correct += hits if px == 1 else hits / px  # in images, as `seen`
            on_event(
                {
                    "kind": "iter",
                    "iter": at.step,
                    "epoch": epoch,
                    "loss": batch_loss,
                    "acc": hits / (n * px),
                }
            )
            tick(at.step, epoch)
        at.elapsed = time.monotonic() - started
        return None
