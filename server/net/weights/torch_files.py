"""Read a checkpoint PyTorch or torchvision wrote: a `.pth` state_dict or a `.safetensors`
file, into {key: tensor} (issue 17).

A `.pth` is a pickle, and a pickle can run code; it is read only by PyTorch's restricted
unpickler, `torch.load(weights_only=True)`, which builds tensors, dicts, lists and plain
values and refuses everything else (that refusal is a BadWeights, a 422 at the API).
The kind of file is told by its first bytes, never by its name.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import load_file as load_safetensors_file

from server.net.weights.entry import BadWeights

ZIP_MAGIC = b"PK\x03\x04"  # torch.save's default format since PyTorch 1.6
PICKLE_MAGIC = b"\x80"  # the legacy torch.save format: a pickle protocol byte first
# Checkpoints of training scripts wrap the state_dict: {"model": ..., "optimizer": ...}.
WRAPPERS = ("state_dict", "model")


def kind_of(head: bytes, size: int) -> str | None:
    """ "pth-zip", "pth-legacy", "safetensors" or None, from the first 9 bytes."""
    if head.startswith(ZIP_MAGIC):
        return "pth-zip"
    if len(head) >= 9:
        (header_len,) = struct.unpack("<Q", head[:8])  # safetensors: u64 length, then JSON
        if head[8:9] == b"{" and 8 + header_len <= size:
            return "safetensors"
    if head.startswith(PICKLE_MAGIC):
        return "pth-legacy"
    return None


def _refusal(exc: Exception) -> str:
    """The line of torch.load's long message that says what it refused."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if line.startswith("WeightsUnpickler error:"):
            return line.removeprefix("WeightsUnpickler error:").strip()
    return lines[0] if lines else type(exc).__name__


def _torch_load(source: Path | bytes, mmap: bool) -> Any:
    target: Any = str(source) if isinstance(source, Path) else io.BytesIO(source)
    try:
        return torch.load(target, weights_only=True, map_location="cpu", mmap=mmap)
    except Exception as exc:  # noqa: BLE001 - the restricted unpickler raises many types
        raise BadWeights(
            f"torch.load(weights_only=True) refused the .pth file: {_refusal(exc)}; "
            "only a state_dict of tensors can be imported"
        ) from None


def _safetensors(source: Path | bytes) -> dict[str, torch.Tensor]:
    try:
        if isinstance(source, Path):
            return load_safetensors_file(str(source), device="cpu")
        return load_safetensors_bytes(source)
    except (SafetensorError, ValueError, RuntimeError, OverflowError) as exc:
        raise BadWeights(f"the .safetensors file cannot be read ({exc})") from None


def _state_dict(obj: Any) -> dict[str, torch.Tensor]:
    """The {str: Tensor} inside what torch.load returned (unwrapping {"model": ...})."""
    if isinstance(obj, Mapping):
        for key in WRAPPERS:
            inner = obj.get(key)
            if isinstance(inner, Mapping):  # a state_dict's own values are tensors
                obj = inner
                break
    if not isinstance(obj, Mapping):
        raise BadWeights(f"the .pth file holds a {type(obj).__name__}, not a state_dict")
    if not obj:
        raise BadWeights("the .pth file holds an empty state_dict")
    out: dict[str, torch.Tensor] = {}
    for key, value in obj.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise BadWeights(
                f"the .pth file is not a state_dict: {str(key)[:100]!r} holds a "
                f"{type(value).__name__}, not a tensor"
            )
        out[key] = value
    return out


def read_state_dict(source: Path | bytes) -> dict[str, torch.Tensor]:
    """A `.pth` (zip or legacy) or `.safetensors` file, from a path or its bytes, as
    {key: tensor} on the CPU. A path is memory-mapped where the format allows, so a
    500 MB VGG file is not held twice. Raises BadWeights for anything else."""
    if isinstance(source, Path):
        size = source.stat().st_size
        with open(source, "rb") as f:
            head = f.read(9)
    else:
        size, head = len(source), bytes(source[:9])
    kind = kind_of(head, size)
    if kind == "safetensors":
        return _safetensors(source)
    if kind is None:
        raise BadWeights(
            "the file is neither a PyTorch .pth (what torch.save writes) nor .safetensors"
        )
    mmap = kind == "pth-zip" and isinstance(source, Path)  # legacy files cannot be mapped
    return _state_dict(_torch_load(source, mmap))
