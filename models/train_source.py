"""Train the source task of the transfer-learning demo and write its weights.

    python -m models.train_source

The zoo's `mnist_cnn` with a 5-way head, trained on the shipped MNIST digits 0-4 only
(through the same `train()` the app uses, standardised by the training pixels). Writes
models/weights/mnist_cnn_digits04.safetensors and adds/replaces its entry in
models/weights/manifest.json (other entries are kept). CPU, fixed seed, well under a minute.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from server.net import datasets, mnist
from server.net.spec import Linear, NetworkSpec
from server.net.train import TrainConfig, train
from server.net.weights import save

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
NAME = "mnist_cnn_digits04"
ZOO = "mnist_cnn"
CLASSES = [0, 1, 2, 3, 4]
SEED = 0
EPOCHS = 3
BATCH = 64
LR = 2e-3


def with_head(net: NetworkSpec, classes: int) -> NetworkSpec:
    """The same network with its last (linear) layer replaced by one of `classes` units."""
    if not isinstance(net.layers[-1], Linear):
        raise ValueError(f"{net.name}: the last layer is not linear, cannot swap the head")
    layers = [*net.layers[:-1], net.layers[-1].model_copy(update={"out_features": classes})]
    return net.model_copy(update={"layers": layers})


def spec() -> NetworkSpec:
    import models

    return with_head(models.get(ZOO), len(CLASSES))


def config(epochs: int = EPOCHS, seed: int = SEED) -> TrainConfig:
    return TrainConfig(
        dataset="mnist", classes=CLASSES, epochs=epochs, batch_size=BATCH, lr=LR, seed=seed
    )


def train_source(epochs: int = EPOCHS, seed: int = SEED, out_dir: Path = WEIGHTS_DIR) -> dict:
    net_spec, cfg = spec(), config(epochs, seed)
    start = time.monotonic()
    result = train(net_spec, cfg, _print_epochs)
    if result.status != "done" or result.module is None:
        raise RuntimeError(f"source training ended {result.status}: {result.message}")
    data = datasets.load("mnist", 28, 28, classes=CLASSES)
    path = out_dir / f"{NAME}.safetensors"
    digest = save(net_spec, result.module, path)
    entry = {
        "file": path.name,
        "sha256": digest,
        "zoo": ZOO,
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
        "epochs": epochs,
        "seed": seed,
        "optimizer": f"Adam lr={LR}, batch {BATCH}",
        "train_seconds": round(time.monotonic() - start, 1),
        "torch": torch.__version__,
    }
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    manifest[NAME] = entry
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return entry


def _print_epochs(event: dict) -> None:
    if event["kind"] == "epoch":
        print(f"epoch {event['epoch']}: held-out accuracy {event['val_acc']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(json.dumps(train_source(args.epochs, args.seed), indent=2))


if __name__ == "__main__":
    main()
