"""Train the source tasks of the transfer-learning demo and write their weights.

    python -m models.train_source                      # every source below
    python -m models.train_source tiny_resnet_digits04  # just one
    python -m models.train_source --ship               # replace the shipped files

Each source is a zoo network with a 5-way head, trained on the shipped MNIST digits 0-4
only (through the same `train()` the app uses, standardised by the training pixels):
`mnist_cnn` (two conv stages and a 64-unit dense layer) and `tiny_resnet` (three residual
blocks with batch norm, global average pooling). Each writes <name>.safetensors into
<data dir>/trained (or --out DIR, or models/weights/ with --ship; see
models/train_output.py) and adds/replaces its entry in that folder's manifest.json
(other entries are kept). CPU, fixed seed, under a minute each on one core.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from models import train_output
from models.train_mnist import how_trained, write_manifest_entry
from server.net.core.head import with_head
from server.net.core.spec import NetworkSpec
from server.net.data import datasets, mnist
from server.net.train.loop import TrainConfig, train
from server.net.weights.files import save

WEIGHTS_DIR = train_output.SHIPPED
CLASSES = [0, 1, 2, 3, 4]
SEED = 0


@dataclass(frozen=True)
class Source:
    zoo: str
    epochs: int
    batch: int
    lr: float


SOURCES = {
    "mnist_cnn_digits04": Source("mnist_cnn", epochs=3, batch=64, lr=2e-3),
    # Batch norm needs a few more steps to settle: 2 epochs held out ~93%, 3 epochs ~99%.
    "tiny_resnet_digits04": Source("tiny_resnet", epochs=3, batch=64, lr=3e-3),
}
# The first source, kept as module constants (tests and older callers use them).
NAME = "mnist_cnn_digits04"
ZOO = SOURCES[NAME].zoo
EPOCHS = SOURCES[NAME].epochs


def spec(name: str = NAME) -> NetworkSpec:
    import models

    return with_head(models.get(SOURCES[name].zoo), len(CLASSES))


def config(epochs: int | None = None, seed: int = SEED, name: str = NAME) -> TrainConfig:
    source = SOURCES[name]
    return TrainConfig(
        dataset="mnist",
        classes=CLASSES,
        epochs=source.epochs if epochs is None else epochs,
        batch_size=source.batch,
        lr=source.lr,
        seed=seed,
    )


def train_source(
    epochs: int | None = None,
    seed: int = SEED,
    out_dir: Path | None = None,
    name: str = NAME,
) -> dict:
    """Train source `name` and write it into `out_dir` (default: train_output's, never
    the shipped files); returns its manifest entry."""
    out_dir = train_output.directory(out_dir)
    source = SOURCES[name]
    net_spec, cfg = spec(name), config(epochs, seed, name)
    start = time.monotonic()
    result = train(net_spec, cfg, _print_epochs)
    if result.status != "done" or result.module is None:
        raise RuntimeError(f"source training ended {result.status}: {result.message}")
    data = datasets.load("mnist", 28, 28, classes=CLASSES)
    path = out_dir / f"{name}.safetensors"
    digest = save(net_spec, result.module, path)
    entry = {
        "file": path.name,
        "sha256": digest,
        "zoo": source.zoo,
        "head": len(CLASSES),
        "classes": CLASSES,
        "source_data": "MNIST digits 0-4",
        "data_source": mnist.SOURCE,
        "heldout_accuracy": round(result.metrics["accuracy"], 4),
        "heldout_size": len(data.y_val),
        "train_size": len(data.y_train),
        "split_seed": mnist.SPLIT_SEED,
        # train() standardises by the training pixels in [0, 1]
        "normalize": {"mean": [float(data.x_train.mean())], "std": [float(data.x_train.std())]},
        **how_trained(cfg.epochs, seed, f"Adam lr={source.lr}, batch {source.batch}", start),
    }
    write_manifest_entry(out_dir, name, entry)
    return entry


def _print_epochs(event: dict) -> None:
    if event["kind"] == "epoch":
        print(f"epoch {event['epoch']}: held-out accuracy {event['val_acc']:.4f}", flush=True)


def main() -> None:
    main_args()


def main_args(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(SOURCES)} (default: all)")
    parser.add_argument("--epochs", type=int, default=None, help="default: each source's own")
    parser.add_argument("--seed", type=int, default=SEED)
    train_output.add_arguments(parser)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SOURCES]
    if unknown:
        parser.error(f"unknown source {unknown[0]!r}; known: {', '.join(SOURCES)}")
    out_dir = train_output.chosen(args)
    torch.set_num_threads(1)  # the shipped files were trained on one thread
    for name in args.names or list(SOURCES):
        print(f"{name}:", flush=True)
        entry = train_source(args.epochs, args.seed, out_dir, name)
        print(json.dumps(entry, indent=2), flush=True)
        print(f"wrote {name} to {out_dir}", flush=True)


if __name__ == "__main__":
    main()
