"""Training checkpoints: everything a run needs to carry on exactly where it stopped.

One safetensors file holds the tensors (model state, optimizer state, the data-order
generator and torch's global RNG, the current epoch's sample order) and, in its header
metadata, a JSON document with the rest (epoch, position in the epoch, running sums,
the epoch history, optimizer entries that are not tensors). One file means one
`os.replace`: a reader sees the old checkpoint or the new one, never a mix (issue 6).
Loading uses safetensors only, never torch.load.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

FORMAT = "cnnplay-checkpoint-1"
META_KEY = "cnnplay"


class CheckpointError(ValueError):
    """The file is not a checkpoint of this run's network (or is damaged)."""


@dataclass
class Progress:
    """Where a run stands between two batches. `order` is the current epoch's sample order
    (None: the epoch has not drawn it yet); the sums cover the epoch's batches so far."""

    epoch: int = 1
    offset: int = 0  # index into `order` of the next batch
    step: int = 0  # iterations done in all
    seen: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    elapsed: float = 0.0  # seconds spent on this epoch's batches
    history: list[dict[str, Any]] = field(default_factory=list)  # the "epoch" events so far
    order: torch.Tensor | None = None

    def next_epoch(self) -> None:
        self.epoch += 1
        self.offset = self.seen = self.correct = 0
        self.loss_sum = self.elapsed = 0.0
        self.order = None


def _split_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Optimizer state -> (tensors keyed "optim.<param>.<name>", JSON-able rest)."""
    tensors: dict[str, torch.Tensor] = {}
    rest: dict[str, dict[str, Any]] = {}
    for index, entry in opt.state_dict()["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{name}"] = value.detach().cpu().contiguous().clone()
            else:
                rest.setdefault(str(index), {})[name] = value
    return tensors, rest


def save(
    path: Path,
    module: nn.Module,
    opt: torch.optim.Optimizer,
    gen: torch.Generator,
    progress: Progress,
) -> None:
    """Write the checkpoint via a temporary file and os.replace; CPU tensors whatever device
    the run trains on, so that it loads anywhere (`load` copies them onto the module's)."""
    tensors = {
        f"model.{k}": v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()
    }
    optim_tensors, optim_rest = _split_optimizer(opt)
    tensors.update(optim_tensors)
    tensors["rng.generator"] = gen.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    if progress.order is not None:
        tensors["order"] = progress.order.contiguous()
    meta = {k: v for k, v in asdict(progress).items() if k != "order"}
    meta["format"] = FORMAT
    meta["optim"] = optim_rest
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    os.replace(tmp, path)


def read_meta(path: Path) -> dict[str, Any]:
    """The JSON part only (cheap: the header)."""
    try:
        with safe_open(str(path), "pt") as f:
            meta = json.loads((f.metadata() or {})[META_KEY])
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise CheckpointError(f"{path.name} is not a readable checkpoint: {exc}") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a {FORMAT} file")
    return meta


def load(
    path: Path, module: nn.Module, opt: torch.optim.Optimizer, gen: torch.Generator
) -> Progress:
    """Restore module, optimizer and both RNGs in place; returns where to carry on."""
    meta = read_meta(path)
    with safe_open(str(path), "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not iterable)
    model = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        module.load_state_dict(model, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"the checkpoint does not fit the network: {exc}") from None
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for index, entries in meta["optim"].items():
        state.setdefault(int(index), {}).update(entries)
    current = opt.state_dict()
    current["state"] = state
    opt.load_state_dict(current)
    gen.set_state(tensors["rng.generator"])
    torch.set_rng_state(tensors["rng.torch"])
    fields = {k: meta[k] for k in Progress.__dataclass_fields__ if k != "order"}
    return Progress(**fields, order=tensors.get("order"))
