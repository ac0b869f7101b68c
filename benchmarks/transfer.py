"""Benchmark: a frozen-extractor ResNet-18 run on cached features against the same run with
the frozen backbone running every epoch (issue 17).

One run, one machine, one config: ResNet-18 at 224x224 with a new head, every layer up to
the flatten frozen (transfer.feature_extractor_paths), on an uploaded-style dataset of
synthetic colour shapes stored at 224 (server/net/data/uploaded.py), through the real
train(). Once with cache_features=True (the backbone sees each image once), once with
False (the backbone runs on every batch and every held-out pass). The weights are a random
stand-in for ImageNet's: the time of a forward pass does not depend on their values.

Target (issue 17): a ResNet-18 head on 500 images at 224x224 trains within a minute on 2
CPU cores. The run is kept short (250 images, 3 epochs by default); the time for 500 is
projected from it (the backbone's one pass over the images dominates and grows linearly).

    python benchmarks/transfer.py [--images 250] [--epochs 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import models
from server.net.core.head import with_head
from server.net.core.spec import NetworkSpec
from server.net.data import synthetic, uploaded
from server.net.data.archive import Decoded
from server.net.train.loop import TrainConfig, train
from server.net.train.transfer import feature_extractor_paths

TARGET_IMAGES = 500
TARGET_S = 60.0
SIDE = 224


def make_dataset(data_dir: Path, images: int, seed: int = 0) -> str:
    """`images` synthetic shapes stored at 224x224 as an upload (80/20 split); its name."""
    x, y = synthetic.generate(images, SIDE, SIDE, seed)  # (N, 3, 224, 224) in [0, 1]
    pixels = (x * 255).round().to(torch.uint8).numpy()
    decoded = Decoded(pixels, y.numpy().astype(np.int64), list(synthetic.CLASSES), [])
    return uploaded.save(data_dir, decoded, "benchmark shapes", 0.2, seed)["name"]


def timed(
    spec: NetworkSpec, cache: bool, config: TrainConfig, data_dir: Path
) -> tuple[float, float]:
    """(seconds, held-out accuracy) of one run."""
    started = time.perf_counter()
    result = train(spec, config, lambda e: None, data_dir=data_dir, cache_features=cache)
    seconds = time.perf_counter() - started
    assert result.status == "done", result.message
    return seconds, result.metrics["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=250)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = with_head(models.get("resnet18"), len(synthetic.CLASSES))
    with tempfile.TemporaryDirectory() as tmp:
        name = make_dataset(Path(tmp), args.images)
        config = TrainConfig(
            dataset=name,
            epochs=args.epochs,
            batch_size=32,
            lr=1e-2,
            frozen=feature_extractor_paths(spec),
        )
        # Warm-up, untimed: oneDNN sets up its kernels on the first pass of each batch shape.
        warm = config.model_copy(update={"epochs": 1})
        timed(spec, True, warm, Path(tmp))
        timed(spec, False, warm, Path(tmp))
        cached, acc_cached = timed(spec, True, config, Path(tmp))
        plain, acc_plain = timed(spec, False, config, Path(tmp))
    projected = cached * TARGET_IMAGES / args.images
    held = round(args.images * 0.2)
    print(
        f"ResNet-18 at {SIDE}x{SIDE}, frozen through the flatten: {args.images - held} train + "
        f"{held} held-out images, {args.epochs} epochs, batch 32, {args.threads} threads"
    )
    print(f"cached features (backbone once per image): {cached:7.1f} s  accuracy {acc_cached:.3f}")
    print(f"frozen backbone every epoch:               {plain:7.1f} s  accuracy {acc_plain:.3f}")
    train_n = args.images - held
    passes = args.epochs * (train_n + held) + held  # every epoch + the final held-out pass
    print(f"ratio: {plain / cached:.2f}x faster with the cache")
    print(f"  (images through the backbone: {args.images} cached, {passes} every epoch)")
    verdict = "met" if projected <= TARGET_S else "NOT met"
    print(
        f"target: {TARGET_IMAGES} images within {TARGET_S:.0f} s; projected from this run: "
        f"{projected:.1f} s -> {verdict}"
    )


if __name__ == "__main__":
    main()
