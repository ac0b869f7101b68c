"""Train the zoo's row-by-row MNIST recurrent nets and write their weights (issue 8).

    python -m models.train_rnn                 # both: rnn_mnist_lstm and rnn_mnist_gru
    python -m models.train_rnn --only rnn_mnist_gru --epochs 8
    python -m models.train_rnn --ship          # replace the shipped models/weights/ files

Each image is read as 28 steps of 28 pixels (one row per step). CPU only, a fixed
seed, Adam with a cosine schedule and gradient clipping. Writes <name>.safetensors
into <data dir>/trained (or --out DIR, or models/weights/ with --ship; see
models/train_output.py) and adds (or replaces) the entry <name> in that folder's
manifest.json with the held-out accuracy and the file's sha256; every other entry of
the manifest is kept as it is.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from models import train_output
from models.train_mnist import accuracy, fit, how_trained, mnist_split, write_manifest_entry
from server.net.core.build import build_module
from server.net.data import mnist
from server.net.weights.files import save

WEIGHTS_DIR = train_output.SHIPPED  # where the shipped files are (read by the tests)
NAMES = ("rnn_mnist_lstm", "rnn_mnist_gru")
SEED = 0
EPOCHS = 10
BATCH = 64
LR = 3e-3
CLIP = 1.0  # max gradient norm: recurrent nets can take huge steps early on


def train(
    name: str,
    epochs: int = EPOCHS,
    seed: int = SEED,
    out_dir: Path | None = None,
    train_limit: int | None = None,
    write: bool = True,
    heldout_limit: int | None = None,
) -> dict:
    """Train `name` and (when `write`) write its weights into `out_dir` (default:
    train_output's, never the shipped files); returns its manifest entry.
    `train_limit` / `heldout_limit` keep only the first images of each part (quick tests)."""
    import models

    torch.manual_seed(seed)
    net_spec = models.get(name)
    module = build_module(net_spec)
    train_idx, held_idx = mnist.split()
    if train_limit is not None:
        train_idx = train_idx[:train_limit]
    if heldout_limit is not None:
        held_idx = held_idx[:heldout_limit]
    x, y = mnist.tensors(train_idx)  # (8000, 1, 28, 28), normalised: 28 steps of 28 values
    hx, hy = mnist.tensors(held_idx)
    start = time.monotonic()

    def report(epoch: int) -> None:
        acc = accuracy(module, hx, hy)
        print(f"{name} epoch {epoch + 1}/{epochs}: held-out accuracy {acc:.4f}", flush=True)

    steps = epochs * ((len(x) + BATCH - 1) // BATCH)
    fit(module, x, y, epochs, seed, LR, BATCH, steps, clip=CLIP, on_epoch=report)
    acc = accuracy(module, hx, hy)
    entry = {
        "file": f"{name}.safetensors",
        "sha256": "",
        "zoo": name,
        "heldout_accuracy": round(acc, 4),
        **mnist_split(len(held_idx), len(train_idx)),
        "sequence": "28 steps (image rows) of 28 pixels",
        **how_trained(
            epochs, seed, f"Adam lr={LR} cosine, batch {BATCH}, grad-norm clip {CLIP}", start
        ),
    }
    if write:
        out_dir = train_output.directory(out_dir)
        entry["sha256"] = save(net_spec, module, out_dir / entry["file"])
        write_manifest_entry(out_dir, name, entry)
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=NAMES, help="train just this one")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED)
    train_output.add_arguments(parser)
    args = parser.parse_args(argv)
    out_dir = train_output.chosen(args)
    torch.set_num_threads(1)  # reproducible, and the machine is shared
    for name in [args.only] if args.only else NAMES:
        print(json.dumps(train(name, args.epochs, args.seed, out_dir), indent=2))
        print(f"wrote {name} to {out_dir}", flush=True)


if __name__ == "__main__":
    main()
