"""Feature maps: every requested layer's output for one image, via forward hooks.

Hooks are removed in `finally`, the forward runs under no_grad in eval mode and the
module's previous train/eval mode is restored, so capturing never changes a network.
Also: preparing an image for a network's input, and top-k predictions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from PIL import Image
from torch import nn

# Normalisations a user can pick for the input (per-channel mean, std on [0, 1] pixels).
NORMALIZE: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "none": ((0.0,), (1.0,)),
    "mnist": ((0.1307,), (0.3081,)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}
Stats = tuple[tuple[float, ...], tuple[float, ...]]  # per-channel (mean, std)


@dataclass
class Capture:
    layers: dict[str, torch.Tensor]  # path -> per-sample output, e.g. (C, H, W)
    output: torch.Tensor  # the network's per-sample output


def _keep(store: dict[str, torch.Tensor], path: str):
    def hook(_module: nn.Module, _inputs: object, output: object) -> None:
        if isinstance(output, tuple):  # e.g. a bare nn.LSTM: (output, state)
            output = output[0]
        store[path] = output.detach()[0]  # drop the batch axis of 1

    return hook


def capture(module: nn.Module, image: torch.Tensor, paths: Iterable[str]) -> Capture:
    """Run one image (C, H, W) or (1, C, H, W) through `module`, keeping the output of
    every module named in `paths` (the layer paths of shapes.infer)."""
    x = image.unsqueeze(0) if image.dim() == 3 else image
    if x.shape[0] != 1:
        raise ValueError(f"capture takes one image; got a batch of {x.shape[0]}")
    named = dict(module.named_modules())
    paths = list(dict.fromkeys(paths))
    unknown = [p for p in paths if p not in named]
    if unknown:
        raise KeyError(f"no layer at path(s) {', '.join(unknown)}")
    store: dict[str, torch.Tensor] = {}
    handles = []
    was_training = module.training
    try:
        for path in paths:
            handles.append(named[path].register_forward_hook(_keep(store, path)))
        module.eval()
        with torch.no_grad():
            out = module(x)
    finally:
        for handle in handles:
            handle.remove()
        module.train(was_training)
    return Capture({p: store[p] for p in paths if p in store}, out.detach()[0])


def prepare(
    img: Image.Image,
    shape: tuple[int, int, int],
    normalize: str = "none",
    invert: bool = False,
    stats: Stats | None = None,
) -> torch.Tensor:
    """A PIL image -> the network's input (C, H, W): grayscale for C = 1, RGB for C = 3,
    resized (stretched) to H x W, pixels in [0, 1], optionally inverted, normalised.
    normalize="trained" uses `stats`, the (mean, std) the weights were trained with."""
    channels, height, width = shape
    if channels not in (1, 3):
        raise ValueError(f"images can feed a network with 1 or 3 input channels, not {channels}")
    if normalize == "trained":
        if stats is None:
            raise ValueError("normalize 'trained' needs weights whose training data is known")
    elif normalize not in NORMALIZE:
        raise ValueError(f"normalize must be one of {', '.join(NORMALIZE)}, not {normalize!r}")
    img = img.convert("L" if channels == 1 else "RGB")
    if img.size != (width, height):
        img = img.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=3.0)
    x = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).float() / 255.0
    x = x.view(height, width, channels).permute(2, 0, 1).contiguous()  # (C, H, W)
    if invert:
        x = 1.0 - x
    mean, std = stats if normalize == "trained" and stats else NORMALIZE[normalize]
    if len(mean) != channels:  # a 3-channel normalisation on gray: use its average
        mean, std = (sum(mean) / len(mean),) * channels, (sum(std) / len(std),) * channels
    m = torch.tensor(mean).view(-1, 1, 1)
    s = torch.tensor(std).view(-1, 1, 1)
    return (x - m) / s


def top_k(output: torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """(K,) logits -> the k most likely classes with softmax probabilities."""
    probs = torch.softmax(output.flatten().float(), dim=0)
    values, indices = probs.topk(min(k, probs.numel()))
    return [(int(i), float(v)) for i, v in zip(indices, values)]
