"""Snapshots of a network while it trains (issue 19): what the Train view's "Inside the
network" panel draws live and replays afterwards.

A snapshot is one event of the run's own stream:
  {"kind": "snapshot", "iter", "epoch",
   "filters": the first conv2d layer's filters (one shared colour scale) or None,
   "probe": {"source", "index", "label", "layers": [every layer's feature maps], "output"},
   "layers": [{"path", "change", "frozen"}]   per layer with parameters: ||W - W0|| / ||W0||}
Images are one byte per value: `encode.layer_page` (the encoder the Feature maps view
reads), its PNG atlas as base64 inside the JSON event.

The rate is bounded by time, not iterations: a snapshot at the start (random filters), then
at most one per `interval_s` of training, never sooner than `1 / cost_fraction` times what
the last one cost (so snapshots stay a small share of the training time however big the
network is; benchmarks/training.py measures it), and one at the end (trained filters).
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from server.net.core import encode
from server.net.core.features import capture
from server.net.core.shapes import BLOCK_NAMES, infer
from server.net.core.spec import NetworkSpec

Event = dict[str, Any]
PROBE_IMAGE_CHARS = 200_000  # a drawing as a PNG data URL (TrainConfig.probe_image)
PROBE_IMAGE_PIXELS = 1_000_000  # its decoded width * height
PNG_URL = "data:image/png;base64,"
VECTOR_VALUES = 1024  # a vector output shows its first values only


@dataclass(frozen=True)
class Limits:
    """How often and how much; the server fills it from Settings (snapshot_*)."""

    interval_s: float = 0.5  # at most one snapshot per this many seconds
    cost_fraction: float = 0.04  # wait at least cost / cost_fraction after a snapshot
    channels: int = 8  # feature maps per layer
    tile: int = 28  # a feature map's longer side; bigger maps are average-pooled down
    layers: int = 24  # layers shown, evenly chosen (the last always) when there are more
    filters: int = 32  # first-layer filters

    @classmethod
    def of(cls, value: Limits | dict[str, Any] | None) -> Limits | None:
        if value is None or isinstance(value, Limits):
            return value
        return cls(**value)


def decode_probe_image(url: str) -> torch.Tensor:
    """A PNG data URL -> (C, H, W) pixels in [0, 1] of its own size (C = 1 gray, 3 RGB);
    ValueError naming what is wrong."""
    from server.net.data.images import ImageError, decode_image

    if not url.startswith(PNG_URL):
        raise ValueError("probe_image must be a PNG data URL (data:image/png;base64,...)")
    try:
        raw = base64.b64decode(url[len(PNG_URL) :], validate=True)
        img = decode_image(raw, PROBE_IMAGE_PIXELS)
    except (ValueError, ImageError) as exc:
        raise ValueError(f"probe_image is not a readable PNG: {exc}") from None
    gray = img.mode == "L"
    img = img.convert("L" if gray else "RGB")
    x = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).float() / 255.0
    return x.view(img.height, img.width, 1 if gray else 3).permute(2, 0, 1).contiguous()


def probe_input(
    url: str | None,
    index: int,
    vx: torch.Tensor,
    vy: torch.Tensor,
    scaling: tuple[torch.Tensor, torch.Tensor],
) -> tuple[torch.Tensor, dict[str, Any]]:
    """The probe (C, H, W) as the network sees it, and what it is: the user's drawing
    (resized to the input, scaled like the training images) or held-out example `index`
    of `vx` (already scaled)."""
    c, h, w = vx.shape[1:]
    if url is None:
        if not 0 <= index < len(vx):
            raise ValueError(f"probe_index {index} is past the {len(vx)} held-out examples")
        # A class label; a segmentation example's label is its mask (its truth is shown
        # by the mask panel, issue 16), so it has none here.
        label = int(vy[index]) if vy[index].dim() == 0 else None
        return vx[index], {"source": "heldout", "index": index, "label": label}
    x = decode_probe_image(url)
    if x.shape[0] != c:  # gray drawing, RGB network (or the other way round)
        x = x.mean(0, keepdim=True).expand(c, -1, -1) if c in (1, 3) else x[:1].expand(c, -1, -1)
    if tuple(x.shape[1:]) != (h, w):
        x = F.interpolate(x[None], size=(h, w), mode="bilinear", align_corners=False)[0]
    mean, std = scaling  # (1, C, 1, 1) each
    return ((x[None] - mean) / std)[0], {"source": "drawing", "index": None, "label": None}


def _b64(meta: dict[str, Any], png: bytes) -> dict[str, Any]:
    return {**meta, "png": base64.b64encode(png).decode()}


def _small(t: torch.Tensor, limits: Limits) -> torch.Tensor:
    """A per-sample output cut to what a snapshot shows: the first `channels` maps of a
    (C, H, W), pooled to at most `tile` a side; a (T, F) pooled the same; a vector's first
    VECTOR_VALUES."""
    t = t.detach().float()
    if t.dim() == 1:
        return t[:VECTOR_VALUES]
    if t.dim() == 2:
        return _small(t[None], limits)[0]
    t = t[: limits.channels]
    h, w = t.shape[-2:]
    if max(h, w) > limits.tile:
        f = limits.tile / max(h, w)
        size = (max(1, math.ceil(h * f)), max(1, math.ceil(w * f)))
        t = F.adaptive_avg_pool2d(t[None], size)[0]
    return t


def feature_tiles(t: torch.Tensor, limits: Limits) -> dict[str, Any]:
    """One layer's per-sample output -> Feature maps' page meta (each tile on its own scale)
    plus its PNG atlas in base64; `shape` and `channels` are the layer's own."""
    small = _small(t, limits)
    meta, png = encode.layer_page(small, 0, limits.channels, "channel")
    channels = encode.as_channels(t).shape[0] if t.dim() != 1 else 1
    return _b64({**meta, "shape": list(t.shape), "channels": channels}, png)


def filter_tiles(weight: torch.Tensor, layer: str, limits: Limits) -> dict[str, Any]:
    """(out, in/groups, kh, kw) -> the first `filters` filters on one shared colour scale:
    three tiles per filter (R, G, B) when it has three input channels, else its first."""
    w = weight.detach().float()[: limits.filters]
    n, cin, kh, kw = w.shape
    rgb = cin == 3
    tiles = w.reshape(n * 3, kh, kw) if rgb else w[:, 0]
    meta, png = encode.layer_page(tiles, 0, len(tiles), "shared")
    return _b64(
        {**meta, "layer": layer, "weight_shape": list(weight.shape), "filters": n, "rgb": rgb},
        png,
    )


def _every(items: list[Any], most: int) -> list[Any]:
    """At most `most` items, evenly spread, the last one kept."""
    if len(items) <= most:
        return items
    step = (len(items) - 1) / (most - 1) if most > 1 else 0
    picked = sorted({round(i * step) for i in range(most)} | {len(items) - 1})
    return [items[i] for i in picked]


def prediction(out: torch.Tensor, labels: list[str]) -> dict[str, Any]:
    """A classifier's (K,) logits -> probabilities (rounded), the predicted class and names;
    a per-pixel (K, H, W) output -> its predicted mask (argmax) as one tile."""
    out = out.detach().float()
    if out.dim() == 1:
        probs = torch.softmax(out, 0)
        return {
            "kind": "classes",
            "pred": int(probs.argmax()),
            "probs": [round(float(p), 4) for p in probs[:100]],
            "labels": labels[:100],
        }
    mask = out.argmax(0).float() if out.dim() == 3 else out
    meta, png = encode.layer_page(mask[None], 0, 1, "channel")
    return {"kind": "mask", "classes": int(out.shape[0]), **_b64(meta, png)}


class Taker:
    """Takes snapshots of `module` for one probe; `tick(step, epoch)` after every batch."""

    def __init__(
        self,
        spec: NetworkSpec,
        module: nn.Module,
        probe: tuple[torch.Tensor, dict[str, Any]],
        labels: list[str],
        limits: Limits,
        on_event: Callable[[Event], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.module, self.limits, self.on_event, self.clock = module, limits, on_event, clock
        self.x, self.about = probe
        self.labels = labels
        self.input = feature_tiles(self.x, limits)  # the probe itself, as the network sees it
        rows = [r for r in infer(spec).layers if r.type not in BLOCK_NAMES]
        self.rows = _every(rows, limits.layers)
        named = dict(module.named_modules())
        self.conv = next((r.path for r in rows if r.type == "conv2d" and r.path in named), None)
        # Each layer's own parameters at the start: the change norms are measured from them.
        self.start: dict[str, torch.Tensor] = {}
        for r in rows:
            params = list(named[r.path].parameters(recurse=False)) if r.path in named else []
            if params:
                self.start[r.path] = torch.cat([p.detach().flatten() for p in params]).clone()
        self.due = -math.inf
        self.spent = 0.0  # seconds spent on snapshots so far
        self.taken = 0

    def tick(self, step: int, epoch: int) -> None:
        if self.clock() >= self.due:
            self.take(step, epoch)

    def take(self, step: int, epoch: int) -> Event:
        began = self.clock()
        event = self.snapshot(step, epoch)
        self.on_event(event)
        ended = self.clock()
        cost = ended - began
        self.spent += cost
        self.taken += 1
        self.due = ended + max(self.limits.interval_s, cost / self.limits.cost_fraction)
        return event

    def snapshot(self, step: int, epoch: int) -> Event:
        named = dict(self.module.named_modules())
        # capture() puts the whole module back in train mode; frozen norms must stay in eval
        # (transfer.keep_frozen_norms_eval), so every module's own mode is restored here.
        modes = [(m, m.training) for m in self.module.modules()]
        try:
            cap = capture(self.module, self.x, [r.path for r in self.rows])
        finally:
            for m, training in modes:
                m.training = training
        layers = [
            {"path": r.path, "type": r.type, **feature_tiles(cap.layers[r.path], self.limits)}
            for r in self.rows
            if r.path in cap.layers
        ]
        filters = None
        if self.conv is not None:
            filters = filter_tiles(named[self.conv].weight, self.conv, self.limits)
        out = prediction(cap.output, self.labels)
        return {
            "kind": "snapshot",
            "iter": step,
            "epoch": epoch,
            "filters": filters,
            "probe": {**self.about, "input": self.input, "layers": layers, "output": out},
            "layers": self.changes(named),
        }

    def changes(self, named: dict[str, nn.Module]) -> list[dict[str, Any]]:
        """||W - W0|| / ||W0|| of each layer's own parameters since the taker started;
        `frozen`: none of them is trained (transfer learning)."""
        out = []
        with torch.no_grad():
            for path, w0 in self.start.items():
                params = list(named[path].parameters(recurse=False))
                now = torch.cat([p.detach().flatten() for p in params])
                base = float(w0.norm())
                diff = float((now - w0).norm())
                frozen = not any(p.requires_grad for p in params)
                out.append(
                    {"path": path, "change": diff / base if base > 0 else diff, "frozen": frozen}
                )
        return out


class Off:
    """No snapshots (a run started outside the server, a benchmark's baseline)."""

    taken = 0
    spent = 0.0

    def tick(self, step: int, epoch: int) -> None:
        pass

    def take(self, step: int, epoch: int) -> None:
        pass


def taker(
    spec: NetworkSpec,
    module: nn.Module,
    config: Any,
    limits: Limits | dict[str, Any] | None,
    held_out: tuple[torch.Tensor, torch.Tensor],
    scaling: tuple[torch.Tensor, torch.Tensor],
    labels: list[str] | tuple[str, ...] | None,
    on_event: Callable[[Event], None],
    step: int,
    epoch: int,
    device: torch.device | str = "cpu",
) -> Taker | Off:
    """The training loop's one hook: a Taker that has taken its first snapshot (at `step`),
    or Off when the run takes none (`limits` None or config.snapshots false). The probe is
    chosen on the CPU (`held_out`, `scaling`) and run on `device`, the module's."""
    lim = Limits.of(limits)
    if lim is None or not config.snapshots:
        return Off()
    vx, vy = held_out
    x, about = probe_input(config.probe_image, config.probe_index, vx, vy, scaling)
    probe = (x.to(device), about)
    names = list(labels) if labels else []
    t = Taker(spec, module, probe, names, lim, on_event)
    t.take(step, epoch)
    return t
