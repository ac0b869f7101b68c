"""Feature maps of any network for one image, one layer page at a time.

POST /api/features/overview  network + image -> layers (shape, range), top-5, filters
POST /api/features/layer     one layer's channels start..start+count -> binary frame
                             (uint32 JSON length, JSON meta, grayscale PNG atlas)
POST /api/features/channel   one channel's exact float32 values (+ its conv filter)
GET  /api/features/presets   MNIST digits, sklearn's china.jpg and flower.jpg

Images come from POST /api/images (the convolution view's store) or a preset.
Networks: a zoo name, a spec, or any entry of the weights library (GET /api/weights:
shipped, finished runs, imported files), which brings its own spec.
Built networks are cached (LRU) by spec hash + weights id, each behind a lock so
two requests never hook the same module at once; prepared inputs are cached too, and
an overview's layer outputs (CNNPLAY_FEATURE_CACHE_BYTES), so the pages the view asks
for next do not run the network again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

import torch
from fastapi import APIRouter, HTTPException, Request, Response
from PIL import Image
from pydantic import BaseModel, Field
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

import models
from server.api.deps import SettingsDep
from server.api.shapes import checked_report
from server.api.weights import get_library
from server.config import Settings
from server.net.core import encode
from server.net.core import features as F
from server.net.core.build import build_module
from server.net.core.shapes import LayerInfo
from server.net.core.spec import NetworkSpec
from server.net.data import mnist
from server.net.train import transfer
from server.net.weights import diff as weight_diff
from server.net.weights import library as lib
from server.net.weights.files import WeightsMismatch, load_into

router = APIRouter(prefix="/features", tags=["features"])
RANDOM_SEED = 0
INPUT_CACHE = 8  # prepared input tensors kept (LRU)
MNIST_STATS = F.NORMALIZE["mnist"]


class NetRef(BaseModel):
    """Exactly one of: a zoo name, a spec, or an entry of the weights library (which
    brings its own spec)."""

    zoo: str | None = Field(None, max_length=100)
    spec: NetworkSpec | None = None
    weights: str | None = Field(
        None,
        max_length=100,
        description="an id from GET /api/weights: mnist_cnn, run-<run id>, upload-<id>",
    )


class FeatureRequest(BaseModel):
    net: NetRef
    image: str = Field(..., max_length=64, description="an id from POST /api/images or a preset")
    # "trained": the mean/std the picked weights were trained with
    normalize: Literal["none", "mnist", "imagenet", "trained"] | None = None
    invert: bool = False


class LayerRequest(FeatureRequest):
    layer: str = Field(..., max_length=300)
    start: int = Field(0, ge=0)
    count: int = Field(64, ge=1)
    scale: Literal["channel", "shared"] = "channel"


class ChannelRequest(FeatureRequest):
    layer: str = Field(..., max_length=300)
    channel: int = Field(0, ge=0)


# --- presets ----------------------------------------------------------------------------


@cache
def _sample(name: str) -> Image.Image:
    from sklearn.datasets import load_sample_image

    return Image.fromarray(load_sample_image(name))


def presets() -> list[dict[str, str]]:
    digits = [
        {"id": f"mnist-{d}", "title": f"MNIST digit {d}", "kind": "mnist"}
        for d in mnist.digit_examples()
    ]
    photos = [
        {"id": "china", "title": "China (sklearn sample)", "kind": "photo"},
        {"id": "flower", "title": "Flower (sklearn sample)", "kind": "photo"},
    ]
    return digits + photos


def _image(key: str, request: Request, settings: Settings) -> Image.Image:
    if key in ("china", "flower"):
        return _sample(f"{key}.jpg")
    if key.startswith("mnist-") and key[6:].isdigit() and int(key[6:]) in range(10):
        index = mnist.digit_examples()[int(key[6:])]
        return Image.fromarray(mnist.load().images[index], mode="L")
    img = request.app.state.images.get(key)
    if img is None:
        raise HTTPException(
            404, f"image: no uploaded image or preset {key!r} (it may have expired)"
        )
    return img


# --- networks ---------------------------------------------------------------------------


class _Built:
    def __init__(self, spec: NetworkSpec, module: nn.Module, rows: list[LayerInfo]) -> None:
        self.spec = spec
        self.module = module
        self.rows = rows
        self.lock = threading.Lock()
        self.finetune: dict[str, Any] | None = None  # filled once, for fine-tuned runs
        self.key: tuple[str, str] = ("", "")  # its NetCache key


class NetCache:
    """Built networks by (spec hash, weights id); least recently used leave first."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._items: OrderedDict[tuple[str, str], _Built] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # how many times a network was actually built (tests read it)

    def get(self, spec: NetworkSpec, weights: lib.Entry | str | None, settings: Settings) -> _Built:
        """`weights`: a library entry (or a shipped name, for older callers)."""
        if isinstance(weights, str):
            weights = lib.find(weights, settings.data_dir, _no_run, models.get)
        key = (
            hashlib.sha256(spec.model_dump_json().encode()).hexdigest(),
            weights.id if weights else "",
        )
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        built = _build(spec, weights, settings)
        built.key = key
        with self._lock:
            self.builds += 1
            self._items[key] = built
            while len(self._items) > self.cap:
                self._items.popitem(last=False)
        return built


def _no_run(run_id: str) -> Any:
    raise LookupError(run_id)


def _build(spec: NetworkSpec, weights: lib.Entry | None, settings: Settings) -> _Built:
    report = checked_report(spec, settings)  # 422 / 413 here: the build below cannot fail
    with torch.random.fork_rng():
        torch.manual_seed(RANDOM_SEED)  # untrained nets: the same random weights each time
        module = build_module(spec)
    if weights:
        try:
            load_into(module, weights.path)
        except WeightsMismatch as exc:
            raise HTTPException(422, f"weights {weights.id!r}: {exc}") from None
        except (OSError, SafetensorError) as exc:  # deleted or damaged since it was listed
            raise HTTPException(
                404, f"weights {weights.id!r}: cannot read its file ({exc})"
            ) from None
    return _Built(spec, module.eval(), report.layers)


def _cache(request: Request, settings: Settings) -> NetCache:
    c = getattr(request.app.state, "feature_nets", None)
    if c is None:
        c = request.app.state.feature_nets = NetCache(settings.feature_cache_networks)
    return c


def _network(ref: NetRef, request: Request, settings: Settings) -> tuple[_Built, lib.Entry | None]:
    given = sum(x is not None for x in (ref.zoo, ref.spec, ref.weights))
    if given != 1:
        raise HTTPException(422, "net: give exactly one of zoo, spec, weights")
    weights = None
    if ref.weights is not None:
        try:
            weights = get_library(request).get(ref.weights)
        except HTTPException as exc:
            raise HTTPException(404, f"net.weights: {exc.detail} (see GET /api/weights)") from None
        spec = weights.spec
    elif ref.zoo is not None:
        spec = _zoo(ref.zoo)
    else:
        spec = ref.spec  # type: ignore[assignment]
    return _cache(request, settings).get(spec, weights, settings), weights


def _zoo(name: str) -> NetworkSpec:
    import models

    try:
        return models.get(name)
    except KeyError as exc:
        raise HTTPException(404, f"net.zoo: {exc.args[0]}") from None


class InputCache:
    """Prepared input tensors by (image id, shape, preparation); images never change under
    an id (uploads get new ones), so a repeated request skips decoding and resizing."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._items: OrderedDict[tuple, tuple[torch.Tensor, tuple[int, int]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Any) -> tuple[torch.Tensor, tuple[int, int]]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.cap:
                self._items.popitem(last=False)
        return value


def _inputs(request: Request) -> InputCache:
    c = getattr(request.app.state, "feature_inputs", None)
    if c is None:
        c = request.app.state.feature_inputs = InputCache(INPUT_CACHE)
    return c


@dataclass
class Prepared:
    x: torch.Tensor  # the network's input (C, H, W)
    normalize: str  # the normalisation used
    size: tuple[int, int]  # the image's original width, height
    key: tuple  # what it was made from (image id, shape, preparation)


def _input(
    req: FeatureRequest,
    built: _Built,
    weights: lib.Entry | None,
    request: Request,
    settings: Settings,
) -> Prepared:
    shape = built.spec.input.shape
    stats = lib.input_stats(weights, settings.data_dir) if weights else None
    normalize = req.normalize or _default_normalize(weights, stats, shape[0])
    if normalize == "trained" and stats is None:
        raise HTTPException(
            422,
            "normalize: 'trained' needs weights whose training data is known (not "
            "an imported file); pick none, mnist or imagenet",
        )

    def make() -> tuple[torch.Tensor, tuple[int, int]]:
        img = _image(req.image, request, settings)
        try:
            x = F.prepare(img, shape, normalize, req.invert, stats)
        except ValueError as exc:
            raise HTTPException(422, f"net.input: {exc}") from None
        return x, (img.width, img.height)

    key = (req.image, tuple(shape), normalize, req.invert, stats)
    x, size = _inputs(request).get(key, make)
    return Prepared(x, normalize, size, key)


def _default_normalize(weights: lib.Entry | None, stats: F.Stats | None, channels: int) -> str:
    if stats is not None:
        same = all(abs(a - b) < 1e-6 for a, b in zip(stats[0] + stats[1], sum(MNIST_STATS, ())))
        return "mnist" if same and len(stats[0]) == 1 else "trained"
    return "imagenet" if channels == 3 else "mnist"


def _row(built: _Built, path: str) -> LayerInfo:
    for row in built.rows:
        if row.path == path:
            return row
    raise HTTPException(404, f"layer: no layer at path {path!r}")


def _capture(built: _Built, x: torch.Tensor, paths: list[str]) -> F.Capture:
    with built.lock:
        return F.capture(built.module, x, paths)


class ActivationCache:
    """Every layer's output of recent overviews, by (network key, input key), within a
    byte budget: the layer pages and channels the view asks for next are then read from
    here instead of running the whole network again for each (oldest leave first)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[dict[str, torch.Tensor], int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0  # tests read it

    def put(self, key: tuple, layers: dict[str, torch.Tensor]) -> None:
        size = sum(t.numel() * t.element_size() for t in layers.values())
        if size > self.max_bytes:
            return
        with self._lock:
            self._items[key] = (layers, size)
            self._items.move_to_end(key)
            while sum(n for _, n in self._items.values()) > self.max_bytes:
                self._items.popitem(last=False)

    def get(self, key: tuple, path: str) -> torch.Tensor | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or path not in item[0]:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0][path]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _activations(request: Request, settings: Settings) -> ActivationCache:
    c = getattr(request.app.state, "feature_activations", None)
    if c is None:
        c = request.app.state.feature_activations = ActivationCache(settings.feature_cache_bytes)
    return c


def _layer_output(
    built: _Built, inp: Prepared, path: str, request: Request, settings: Settings
) -> torch.Tensor:
    """One layer's output: from the last overview's capture when it is cached, else by
    running the network with a hook on that layer alone."""
    t = _activations(request, settings).get((built.key, inp.key), path)
    return t if t is not None else _capture(built, inp.x, [path]).layers[path]


# --- endpoints ----------------------------------------------------------------------------


@router.get("/presets")
def list_presets() -> list[dict[str, str]]:
    """Images to try without uploading: one MNIST digit per class and two photos."""
    return presets()


def _range(t: torch.Tensor | None) -> tuple[float, float]:
    if t is None or not t.numel():
        return 0.0, 0.0
    lo, hi = torch.aminmax(t)  # one pass over the values, not two
    return float(lo), float(hi)


@router.post("/overview")
def overview(req: FeatureRequest, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Every layer's path, type, shape and value range; top-5 with trained weights; the
    first conv layer's filters (and, for a fine-tuned run, the pretrained ones and how far
    each layer moved); how the image was prepared."""
    built, weights = _network(req.net, request, settings)
    inp = _input(req, built, weights, request, settings)
    x, normalize, size = inp.x, inp.normalize, inp.size
    paths = [row.path for row in built.rows]
    cap = _capture(built, x, paths)
    _activations(request, settings).put((built.key, inp.key), cap.layers)
    layers = []
    for row in built.rows:
        lo, hi = _range(cap.layers.get(row.path))
        layers.append(
            {
                "path": row.path,
                "type": row.type,
                "depth": row.depth,
                "shape": row.output_shape,
                "channels": row.output_shape[0] if len(row.output_shape) == 3 else 1,
                "min": lo,
                "max": hi,
            }
        )
    predictions = None
    if weights:
        labels = weights.labels(cap.output.numel())
        predictions = [{"label": labels[i], "p": p} for i, p in F.top_k(cap.output, 5)]
    x_lo, x_hi = _range(x)
    return {
        "network": {
            "name": built.spec.name,
            "trained": weights is not None,
            "weights": weights.id if weights else None,
            "kind": weights.kind if weights else None,
            "title": weights.title if weights else None,
            "accuracy": weights.accuracy if weights else None,
            "note": _note(weights),
            "input_shape": list(built.spec.input.shape),
        },
        "input": {
            "original": list(size),
            "mode": "grayscale" if x.shape[0] == 1 else "RGB",
            "shape": list(x.shape),
            "normalize": normalize,
            "stats": _stats_json(weights, settings),
            "invert": req.invert,
            "min": x_lo,
            "max": x_hi,
        },
        "layers": layers,
        "predictions": predictions,
        "filters": _first_filters(built),
        "finetune": _finetune(built, weights),
    }


def _note(weights: lib.Entry | None) -> str:
    if weights is None:
        return f"untrained: random weights (seed {RANDOM_SEED})"
    what = {"shipped": "trained weights", "run": "your run", "upload": "imported weights"}
    acc = f", held-out accuracy {weights.accuracy:.1%}" if weights.accuracy is not None else ""
    return f"{what[weights.kind]}: {weights.title}{acc}"


def _stats_json(weights: lib.Entry | None, settings: Settings) -> list[list[float]] | None:
    stats = lib.input_stats(weights, settings.data_dir) if weights else None
    return [list(stats[0]), list(stats[1])] if stats else None


def _first_filters(built: _Built) -> dict[str, Any] | None:
    for row in built.rows:
        if row.type == "conv2d":
            w = built.module.get_submodule(row.path).weight.detach()  # (out, in/g, kh, kw)
            return {"layer": row.path, **encode.exact(_few_filters(w))}
    return None


def _few_filters(w: torch.Tensor) -> torch.Tensor:
    """At most 64 filters when they are big (what the filter panel shows)."""
    return w[:64] if w.shape[0] * w[0].numel() > 64 * 3 * 11 * 11 else w


@lru_cache(maxsize=8)
def _pretrained(name: str) -> dict[str, torch.Tensor]:
    return load_file(str(transfer.pretrained_file(name)), device="cpu")


def _finetune(built: _Built, weights: lib.Entry | None) -> dict[str, Any] | None:
    """For a run fine-tuned from shipped weights: the pretrained first-layer filters beside
    the tuned ones, each filter's relative L2 change, and each layer's (issue 7)."""
    if weights is None or not weights.init_from:
        return None
    if built.finetune is None:
        try:
            start = _pretrained(weights.init_from)
        except transfer.PretrainedError as exc:
            return {"source": weights.init_from, "error": str(exc)}
        paths = [row.path for row in built.rows]
        fd = weight_diff.filters(built.module, start, paths, weights.frozen)
        rows = weight_diff.layers(built.module, start, paths, weights.frozen)
        built.finetune = {
            "source": weights.init_from,
            "filters": None
            if fd is None
            else {
                "layer": fd.layer,
                "pretrained": encode.exact(_few_filters(fd.pretrained)),
                "change": fd.change[: _few_filters(fd.pretrained).shape[0]],
                "frozen": fd.frozen,
                "identical": fd.identical,
            },
            "layers": [
                {"path": d.path, "change": d.change, "frozen": d.frozen, "new": d.new} for d in rows
            ],
        }
    return built.finetune


@router.post("/layer")
def layer(req: LayerRequest, request: Request, settings: SettingsDep) -> Response:
    """Channels start..start+count of one layer as one byte per value: a binary frame of
    a JSON header (shape, per-tile ranges) and a grayscale PNG atlas of the tiles."""
    built, weights = _network(req.net, request, settings)
    inp = _input(req, built, weights, request, settings)
    if req.layer == "input":
        t = inp.x
    else:
        _row(built, req.layer)
        t = _layer_output(built, inp, req.layer, request, settings)
    count = min(req.count, settings.max_feature_channels)
    plane = max(1, t[0].numel() if t.dim() == 3 else t.numel())
    count = max(1, min(count, settings.max_feature_values // plane))
    meta, png = encode.layer_page(t, req.start, count, req.scale)
    meta["layer"] = req.layer
    return Response(encode.frame(meta, png), media_type="application/octet-stream")


@router.post("/channel")
def channel(req: ChannelRequest, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """One channel's exact float32 values, and for a conv layer the filter that made it."""
    built, weights = _network(req.net, request, settings)
    inp = _input(req, built, weights, request, settings)
    if req.layer == "input":
        t, row = inp.x, None
    else:
        row = _row(built, req.layer)
        t = _layer_output(built, inp, req.layer, request, settings)
    chans = encode.as_channels(t)
    if req.channel >= chans.shape[0]:
        raise HTTPException(
            422, f"channel: {req.layer} has {chans.shape[0]} channels, not {req.channel + 1}"
        )
    out: dict[str, Any] = {
        "layer": req.layer,
        "channel": req.channel,
        "values": encode.exact(chans[req.channel]),
        "vector": t.dim() == 1,
        "length": int(t.numel()),
        "filter": None,
    }
    if row is not None and row.type == "conv2d":
        conv = built.module.get_submodule(req.layer)
        w = conv.weight.detach()[req.channel]  # (in/groups, kh, kw)
        out["filter"] = {
            "weights": encode.exact(w),
            "bias": float(conv.bias.detach()[req.channel]) if conv.bias is not None else None,
        }
    return out
