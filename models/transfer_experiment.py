"""Transfer vs scratch: the experiment behind issue 7's numbers and its test.

A transfer mode (frozen feature extractor, later layers fine-tuned, or everything at
lr / 10) against the same network trained from scratch on a few target images, with the
same steps and seeds. It uses the zoo, so it lives beside it rather than in the core.
"""

from __future__ import annotations

from typing import Any

import models
from server.net.core.head import with_head
from server.net.train.loop import TrainConfig, train
from server.net.train.transfer import PretrainedError, manifest, mode_config


def compare(
    target_classes: tuple[int, ...] = (5, 6, 7, 8, 9),
    per_class: int = 50,
    steps: int = 20,
    batch_size: int = 25,
    seed: int = 0,
    lr: float = 1e-2,
    source: str = "mnist_cnn_digits04",
    mode: str = "frozen",
) -> dict[str, Any]:
    """A transfer mode (default: the frozen pretrained feature extractor, only the
    classifier trains, its last layer fresh) against the same network trained from
    scratch, both on `per_class` MNIST images of each target digit for the same number of
    steps and seed. Returns both held-out accuracies and curves."""
    entry = manifest().get(source)
    if entry is None:
        raise PretrainedError(f"source: no shipped weights named {source!r}")
    spec = with_head(models.get(entry["zoo"]), len(target_classes))
    per_epoch = -(-per_class * len(target_classes) // batch_size)  # ceil
    epochs = max(1, -(-steps // per_epoch))
    common = dict(
        dataset="mnist",
        classes=list(target_classes),
        per_class=per_class,
        batch_size=batch_size,
        epochs=epochs,
        lr=lr,
        seed=seed,
    )
    runs = {
        "transfer": TrainConfig(**common, **mode_config(mode, spec, source, lr)),
        "scratch": TrainConfig(**common),
    }
    out: dict[str, Any] = {
        "steps": per_epoch * epochs,
        "epochs": epochs,
        "source": source,
        "mode": mode,
    }
    for key, config in runs.items():
        curve: list[dict[str, float]] = []
        losses: list[float] = []

        def record(event: dict[str, Any], curve=curve, losses=losses) -> None:
            if event["kind"] == "epoch":
                curve.append({"step": event["epoch"] * per_epoch, "val_acc": event["val_acc"]})
            elif event["kind"] == "iter":
                losses.append(event["loss"])

        result = train(spec, config, record)
        out[key] = {
            "status": result.status,
            "heldout_accuracy": result.metrics.get("accuracy"),
            "curve": curve,
            "loss": losses,
            "trainable_params": sum(
                p.numel() for p in result.module.parameters() if p.requires_grad
            )
            if result.module is not None
            else 0,
        }
    return out
