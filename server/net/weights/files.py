"""Weights on disk: safetensors only (never torch.load, which can run code).

Keys and shapes are checked against `build_module(spec).state_dict()` so weights
trained for one spec cannot be loaded into another by accident.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec

# safetensors' dtype names -> torch's (the ones torch 2.13 reads)
DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


class WeightsMismatch(ValueError):
    """The file's tensors do not fit the spec; the message names every bad key."""


def sha256(path: Path) -> str:
    """The file's digest, read in 1 MiB chunks (a 548 MB file is never held whole)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check(expected: dict[str, torch.Tensor], got: dict[str, torch.Tensor]) -> None:
    problems: list[str] = []
    for key in sorted(expected.keys() - got.keys()):
        problems.append(f"{key}: missing from the file (expected {list(expected[key].shape)})")
    for key in sorted(got.keys() - expected.keys()):
        problems.append(f"{key}: in the file but not in the network")
    for key in sorted(expected.keys() & got.keys()):
        if tuple(expected[key].shape) != tuple(got[key].shape):
            problems.append(
                f"{key}: shape {list(got[key].shape)} in the file, "
                f"{list(expected[key].shape)} in the network"
            )
    if problems:
        raise WeightsMismatch("weights do not fit the network: " + "; ".join(problems))


def load_into(module: nn.Module, path: Path) -> nn.Module:
    tensors = load_file(str(path), device="cpu")
    check(module.state_dict(), tensors)
    module.load_state_dict(tensors, strict=True)
    return module


def load(spec: NetworkSpec, path: Path) -> nn.Module:
    """Build the spec and fill it with the file's weights (eval mode)."""
    module = build_module(spec)
    load_into(module, path)
    return module.eval()


def save(spec: NetworkSpec, module: nn.Module, path: Path) -> str:
    """Write the module's state (checked against the spec) and return its sha256."""
    state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
    check(build_module(spec).state_dict(), state)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path))
    return sha256(path)
