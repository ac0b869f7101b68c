"""Train the zoo's `mnist_cnn` on the shipped MNIST split and write its weights.

    python -m models.train_mnist          # into <data dir>/trained (or --out DIR)
    python -m models.train_mnist --ship   # replace the shipped models/weights/ files

CPU only, a fixed seed, Adam, a few epochs (about a minute). Writes
mnist_cnn.safetensors and manifest.json with the held-out accuracy, the file's sha256,
the data source, epochs and seed (models/train_output.py says where).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from models import train_output
from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.data import mnist
from server.net.weights.files import save

WEIGHTS_DIR = train_output.SHIPPED
NAME = "mnist_cnn"
SEED = 0
EPOCHS = 6
BATCH = 64
LR = 2e-3


def spec() -> NetworkSpec:
    import models

    return models.get(NAME)


def accuracy(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    module.eval()
    with torch.no_grad():
        pred = torch.cat([module(x[i : i + 500]).argmax(1) for i in range(0, len(x), 500)])
    return float((pred == y).float().mean())


def write_manifest_entry(out_dir: Path, name: str, entry: dict) -> None:
    """Add or replace one entry of out_dir/manifest.json; every other entry is kept (each
    training script of models/ ships its own networks)."""
    path = out_dir / "manifest.json"
    manifest = json.loads(path.read_text()) if path.is_file() else {}
    manifest[name] = entry
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def mnist_split(held: int, train: int) -> dict:
    """The manifest's facts about the shipped MNIST split a network was trained on."""
    return {
        "heldout_size": held,
        "train_size": train,
        "data_source": mnist.SOURCE,
        "split_seed": mnist.SPLIT_SEED,
        "normalize": {"mean": [mnist.MEAN], "std": [mnist.STD]},
    }


def how_trained(epochs: int, seed: int, optimizer: str, start: float) -> dict:
    """The manifest's facts about a training run that began at time.monotonic() `start`."""
    return {
        "epochs": epochs,
        "seed": seed,
        "optimizer": optimizer,
        "train_seconds": round(time.monotonic() - start, 1),
        "torch": torch.__version__,
    }


def fit(
    module: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    seed: int,
    lr: float,
    batch: int,
    schedule_steps: int,
    clip: float | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> None:
    """The shipped networks' training: Adam with a cosine schedule over `schedule_steps`,
    cross-entropy on batches drawn by a seeded shuffle, optionally the gradient norm
    clipped; `on_epoch(epoch)` after each epoch (0-based)."""
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, schedule_steps)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        module.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            rows = order[i : i + batch]
            loss = nn.functional.cross_entropy(module(x[rows]), y[rows])
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(module.parameters(), clip)
            opt.step()
            sched.step()
        if on_epoch is not None:
            on_epoch(epoch)


def train(epochs: int = EPOCHS, seed: int = SEED, out_dir: Path | None = None) -> dict:
    """Train and write into `out_dir` (default: train_output's, never the shipped files)."""
    out_dir = train_output.directory(out_dir)
    torch.manual_seed(seed)
    net_spec = spec()
    module = build_module(net_spec)
    train_idx, held_idx = mnist.split()
    x, y = mnist.tensors(train_idx)  # (8000, 1, 28, 28), normalised
    hx, hy = mnist.tensors(held_idx)
    start = time.monotonic()

    def report(epoch: int) -> None:
        print(f"epoch {epoch + 1}/{epochs}: held-out accuracy {accuracy(module, hx, hy):.4f}")

    fit(module, x, y, epochs, seed, LR, BATCH, epochs * (len(x) // BATCH + 1), on_epoch=report)
    acc = accuracy(module, hx, hy)
    path = out_dir / f"{NAME}.safetensors"
    digest = save(net_spec, module, path)
    entry = {
        "file": path.name,
        "sha256": digest,
        "zoo": NAME,
        "heldout_accuracy": round(acc, 4),
        **mnist_split(len(held_idx), len(train_idx)),
        **how_trained(epochs, seed, f"Adam lr={LR} cosine, batch {BATCH}", start),
    }
    write_manifest_entry(out_dir, NAME, entry)
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED)
    train_output.add_arguments(parser)
    args = parser.parse_args(argv)
    out_dir = train_output.chosen(args)
    torch.set_num_threads(2)
    result = train(args.epochs, args.seed, out_dir)
    print(json.dumps(result, indent=2))
    print(f"wrote {NAME} to {out_dir}")


if __name__ == "__main__":
    main()
