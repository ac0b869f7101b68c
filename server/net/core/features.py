"""Feature maps: every requested layer's output for one image, via forward hooks.

Hooks are removed in `finally`, the forward runs under no_grad in eval mode and the
module's previous train/eval mode is restored, so capturing never changes a network.
Also: preparing an image for a network's input (stretched to its size, or torchvision's
ImageNet resize and centre crop), and top-k predictions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as TF
from PIL import Image
from torch import nn

from server.net.data import imagenet

# Normalisations a user can pick for the input (per-channel mean, std on [0, 1] pixels).
NORMALIZE: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "none": ((0.0,), (1.0,)),
    "mnist": ((0.1307,), (0.3081,)),
    "imagenet": (imagenet.MEAN, imagenet.STD),
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


def check_normalize(normalize: str, stats: Stats | None) -> Stats:
    """The (mean, std) of a normalisation name; "trained" is `stats`, the (mean, std) the
    weights were trained with."""
    if normalize == "trained":
        if stats is None:
            raise ValueError("normalize 'trained' needs weights whose training data is known")
        return stats
    if normalize not in NORMALIZE:
        raise ValueError(f"normalize must be one of {', '.join(NORMALIZE)}, not {normalize!r}")
    return NORMALIZE[normalize]


def _pixels(img: Image.Image) -> torch.Tensor:
    """An "L" or "RGB" PIL image -> (C, H, W) float32 in [0, 1]."""
    channels = 1 if img.mode == "L" else 3
    x = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).float() / 255.0
    return x.view(img.height, img.width, channels).permute(2, 0, 1).contiguous()


def _standardise(x: torch.Tensor, stats: Stats, invert: bool) -> torch.Tensor:
    """(C, H, W) in [0, 1] -> optionally inverted, then (x - mean) / std per channel."""
    channels = x.shape[0]
    if invert:
        x = 1.0 - x
    mean, std = stats
    if len(mean) != channels:  # a 3-channel normalisation on gray: use its average
        mean, std = (sum(mean) / len(mean),) * channels, (sum(std) / len(std),) * channels
    m = torch.tensor(mean).view(-1, 1, 1)
    s = torch.tensor(std).view(-1, 1, 1)
    return (x - m) / s


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
    mean_std = check_normalize(normalize, stats)
    img = img.convert("L" if channels == 1 else "RGB")
    if img.size != (width, height):
        img = img.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=3.0)
    return _standardise(_pixels(img), mean_std, invert)


def resized_size(height: int, width: int, shorter: int) -> tuple[int, int]:
    """(H, W) with the shorter side `shorter` and the aspect kept, the longer side
    truncated as torchvision's Resize(int) computes it."""
    if height <= width:
        return shorter, int(shorter * width / height)
    return int(shorter * height / width), shorter


def prepare_torchvision(
    img: Image.Image,
    resize: int,
    crop: int,
    stats: Stats,
    invert: bool = False,
    interpolation: str = "bilinear",
) -> torch.Tensor:
    """torchvision's ImageNet preparation (its ImageClassification preset, issue 17): RGB,
    the shorter side resized to `resize` (bilinear, or bicubic for EfficientNet's weights,
    antialias), the centre `crop` x `crop`, pixels in [0, 1], optionally inverted,
    (x - mean) / std -> (3, crop, crop)."""
    if crop > resize:
        raise ValueError(f"a {crop}x{crop} crop does not fit a shorter side of {resize}")
    x = _pixels(img.convert("RGB"))  # (3, H, W)
    h, w = resized_size(x.shape[1], x.shape[2], resize)
    mode = "bicubic" if interpolation == "bicubic" else "bilinear"
    x = TF.interpolate(x[None], size=(h, w), mode=mode, align_corners=False, antialias=True)
    top, left = int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))
    return _standardise(x[0, :, top : top + crop, left : left + crop], stats, invert)


def top_k(output: torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """(K,) logits -> the k most likely classes with softmax probabilities."""
    probs = torch.softmax(output.flatten().float(), dim=0)
    values, indices = probs.topk(min(k, probs.numel()))
    return [(int(i), float(v)) for i, v in zip(indices, values)]
