"""Feature maps of the service's networks: prepared inputs, captures, filters, top-5.

Prepared inputs are cached by (image id, preparation): images never change under an id
(uploads get new ones), so a repeated request skips decoding and resizing. Every layer's
output of recent overviews is cached within a byte budget, so the layer pages and
channels the view asks for next are read from it instead of running the network again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from server.net.core import encode
from server.net.core import features as F
from server.net.core.cache import LRU
from server.net.core.networks import Network
from server.net.core.preparation import Plan

INPUT_CACHE = 8  # prepared input tensors kept
FEW_FILTERS = 64  # at most this many filters when they are big (what the panel shows)
BIG_FILTERS = 64 * 3 * 11 * 11  # values: AlexNet's first layer


@dataclass
class Prepared:
    x: torch.Tensor  # the network's input (C, H, W)
    plan: Plan  # how it was made
    size: tuple[int, int]  # the image's original width, height
    key: Hashable  # what it was made from (image id, plan)


def _bytes(layers: dict[str, torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in layers.values())


class FeatureMaps:
    def __init__(self, max_bytes: int, inputs: int = INPUT_CACHE) -> None:
        self.inputs: LRU[Hashable, tuple[torch.Tensor, tuple[int, int]]] = LRU(inputs)
        # (network key, input key) -> every layer's output (C, H, W) of an overview
        self.activations: LRU[Hashable, dict[str, torch.Tensor]] = LRU(max_bytes, _bytes)

    def prepare(self, image_id: str, load: Callable[[], Image.Image], plan: Plan) -> Prepared:
        """The input for `plan` of the image `load()` gives; ValueError when the image
        cannot feed the network (what `load` raises reaches the caller)."""

        def make() -> tuple[torch.Tensor, tuple[int, int]]:
            img = load()
            return plan.apply(img), (img.width, img.height)

        key = (image_id, plan)
        x, size = self.inputs.get_or_make(key, make)
        return Prepared(x, plan, size, key)

    def capture(self, net: Network, x: torch.Tensor, paths: list[str]) -> F.Capture:
        with net.lock:
            return F.capture(net.module, x, paths)

    def overview(self, net: Network, inp: Prepared) -> F.Capture:
        """Every layer's output, kept for the pages that follow."""
        cap = self.capture(net, inp.x, [row.path for row in net.rows])
        self.activations.put((net.key, inp.key), cap.layers)
        return cap

    def layer(self, net: Network, inp: Prepared, path: str) -> torch.Tensor:
        """One layer's output ("input": the input itself): from the last overview's capture
        when it is cached, else by running the network with a hook on that layer alone."""
        if path == "input":
            return inp.x
        layers = self.activations.get((net.key, inp.key))
        if layers is not None and path in layers:
            return layers[path]
        return self.capture(net, inp.x, [path]).layers[path]


def value_range(t: torch.Tensor | None) -> tuple[float, float]:
    if t is None or not t.numel():
        return 0.0, 0.0
    lo, hi = torch.aminmax(t)  # one pass over the values, not two
    return float(lo), float(hi)


def few_filters(w: torch.Tensor) -> torch.Tensor:
    """(out, in/groups, kh, kw) -> at most FEW_FILTERS filters when they are big."""
    return w[:FEW_FILTERS] if w.shape[0] * w[0].numel() > BIG_FILTERS else w


def first_filters(net: Network) -> dict[str, Any] | None:
    """The first conv layer's filters, exactly, for the filter panel."""
    for row in net.rows:
        if row.type == "conv2d":
            w = net.module.get_submodule(row.path).weight.detach()  # (out, in/g, kh, kw)
            return {"layer": row.path, **encode.exact(few_filters(w))}
    return None


def top5(net: Network, output: torch.Tensor) -> list[dict[str, Any]] | None:
    """The five most likely classes, `{"index", "label", "p"}` (softmax of the output),
    labelled by the weights' class names; None for random weights."""
    if net.weights is None:
        return None
    if output.dim() == 3:  # a segmentation map (K, H, W): the classes by share of pixels
        return _mask_shares(net, output)
    labels = net.weights.labels(output.numel())
    return [{"index": i, "label": labels[i], "p": p} for i, p in F.top_k(output, 5)]


def _mask_shares(net: Network, output: torch.Tensor) -> list[dict[str, Any]]:
    """Of a (K, H, W) score map: the (at most five) classes predicted most often, with the
    share of the pixels predicted as each in "p" (issue 16)."""
    assert net.weights is not None
    k = output.shape[0]
    labels = net.weights.labels(k)
    pred = output.argmax(0).flatten()
    share = torch.bincount(pred, minlength=k).double() / max(pred.numel(), 1)
    order = torch.argsort(share, descending=True, stable=True)[:5].tolist()
    return [{"index": i, "label": labels[i], "p": float(share[i])} for i in order if share[i] > 0]
