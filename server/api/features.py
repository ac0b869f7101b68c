"""Feature maps of any network for one image, one layer page at a time.

POST /api/features/overview  network + image -> layers (shape, range), top-5, filters
POST /api/features/layer     one layer's channels start..start+count -> binary frame
                             (uint32 JSON length, JSON meta, grayscale PNG atlas)
POST /api/features/channel   one channel's exact float32 values (+ its conv filter)
GET  /api/features/presets   MNIST digits, sklearn's china.jpg and flower.jpg

Images come from POST /api/images (the convolution view's store) or a preset.
Built networks are cached (LRU) by spec hash + weights id, each behind a lock so
two requests never hook the same module at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any, Literal

import torch
from fastapi import APIRouter, HTTPException, Request, Response
from PIL import Image
from pydantic import BaseModel, Field
from torch import nn

from server.api.deps import SettingsDep
from server.api.shapes import checked_report
from server.config import Settings
from server.net import encode, mnist
from server.net import features as F
from server.net.build import TooLarge, build_module
from server.net.shapes import LayerInfo, ShapeError
from server.net.spec import NetworkSpec
from server.net.weights import WeightsMismatch, load_into

router = APIRouter(prefix="/features", tags=["features"])
WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "models" / "weights"
RANDOM_SEED = 0


class NetRef(BaseModel):
    """Exactly one of: a zoo name, a spec, or shipped trained weights (which name their net)."""

    zoo: str | None = Field(None, max_length=100)
    spec: NetworkSpec | None = None
    weights: str | None = Field(None, max_length=100, description="e.g. mnist_cnn")


class FeatureRequest(BaseModel):
    net: NetRef
    image: str = Field(..., max_length=64, description="an id from POST /api/images or a preset")
    normalize: Literal["none", "mnist", "imagenet"] | None = None
    invert: bool = False


class LayerRequest(FeatureRequest):
    layer: str = Field(..., max_length=300)
    start: int = Field(0, ge=0)
    count: int = Field(64, ge=1)
    scale: Literal["channel", "shared"] = "channel"


class ChannelRequest(FeatureRequest):
    layer: str = Field(..., max_length=300)
    channel: int = Field(0, ge=0)


# --- trained weights and presets -------------------------------------------------------


@cache
def manifest() -> dict[str, Any]:
    path = WEIGHTS_DIR / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}


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


class NetCache:
    """Built networks by (spec hash, weights id); least recently used leave first."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._items: OrderedDict[tuple[str, str], _Built] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # how many times a network was actually built (tests read it)

    def get(self, spec: NetworkSpec, weights: str | None, settings: Settings) -> _Built:
        key = (hashlib.sha256(spec.model_dump_json().encode()).hexdigest(), weights or "")
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        built = _build(spec, weights, settings)
        with self._lock:
            self.builds += 1
            self._items[key] = built
            while len(self._items) > self.cap:
                self._items.popitem(last=False)
        return built


def _build(spec: NetworkSpec, weights: str | None, settings: Settings) -> _Built:
    report = checked_report(spec, settings)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(RANDOM_SEED)  # untrained nets: the same random weights each time
            module = build_module(
                spec,
                max_params=settings.max_params,
                max_activation_bytes=settings.max_activation_bytes,
            )
    except TooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except ShapeError as exc:
        raise HTTPException(422, str(exc)) from None
    if weights:
        try:
            load_into(module, WEIGHTS_DIR / manifest()[weights]["file"])
        except WeightsMismatch as exc:
            raise HTTPException(422, f"weights {weights!r}: {exc}") from None
    return _Built(spec, module.eval(), report.layers)


def _cache(request: Request, settings: Settings) -> NetCache:
    c = getattr(request.app.state, "feature_nets", None)
    if c is None:
        c = request.app.state.feature_nets = NetCache(settings.feature_cache_networks)
    return c


def _network(ref: NetRef, request: Request, settings: Settings) -> tuple[_Built, str | None]:
    given = sum(x is not None for x in (ref.zoo, ref.spec, ref.weights))
    if given != 1:
        raise HTTPException(422, "net: give exactly one of zoo, spec, weights")
    weights = ref.weights
    if weights is not None:
        if weights not in manifest():
            raise HTTPException(404, f"net.weights: no shipped weights named {weights!r}")
        spec = _zoo(manifest()[weights]["zoo"])
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


def _input(req: FeatureRequest, built: _Built, request: Request, settings: Settings):
    img = _image(req.image, request, settings)
    shape = built.spec.input.shape
    normalize = req.normalize or _default_normalize(req.net, shape[0])
    try:
        x = F.prepare(img, shape, normalize, req.invert)
    except ValueError as exc:
        raise HTTPException(422, f"net.input: {exc}") from None
    return x, normalize, img


def _default_normalize(ref: NetRef, channels: int) -> str:
    if ref.weights:
        mean = manifest()[ref.weights].get("normalize", {}).get("mean", [0.0])
        return "mnist" if mean == [mnist.MEAN] else "none"
    return "imagenet" if channels == 3 else "mnist"


def _row(built: _Built, path: str) -> LayerInfo:
    for row in built.rows:
        if row.path == path:
            return row
    raise HTTPException(404, f"layer: no layer at path {path!r}")


def _capture(built: _Built, x: torch.Tensor, paths: list[str]) -> F.Capture:
    with built.lock:
        return F.capture(built.module, x, paths)


# --- endpoints ----------------------------------------------------------------------------


@router.get("/presets")
def list_presets() -> list[dict[str, str]]:
    """Images to try without uploading: one MNIST digit per class and two photos."""
    return presets()


@router.post("/overview")
def overview(req: FeatureRequest, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Every layer's path, type, shape and value range; top-5 with trained weights; the
    first conv layer's filters; how the image was prepared."""
    built, weights = _network(req.net, request, settings)
    x, normalize, img = _input(req, built, request, settings)
    paths = [row.path for row in built.rows]
    cap = _capture(built, x, paths)
    layers = []
    for row in built.rows:
        t = cap.layers.get(row.path)
        lo, hi = (float(t.min()), float(t.max())) if t is not None and t.numel() else (0.0, 0.0)
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
    info = manifest().get(weights, {}) if weights else {}
    predictions = None
    if weights:
        predictions = [{"label": str(i), "p": p} for i, p in F.top_k(cap.output, 5)]
    return {
        "network": {
            "name": built.spec.name,
            "trained": bool(weights),
            "weights": weights,
            "accuracy": info.get("heldout_accuracy"),
            "note": (
                f"trained weights ({weights}, held-out accuracy {info['heldout_accuracy']:.1%})"
                if weights
                else f"untrained: random weights (seed {RANDOM_SEED})"
            ),
            "input_shape": list(built.spec.input.shape),
        },
        "input": {
            "original": [img.width, img.height],
            "mode": "grayscale" if x.shape[0] == 1 else "RGB",
            "shape": list(x.shape),
            "normalize": normalize,
            "invert": req.invert,
            "min": float(x.min()),
            "max": float(x.max()),
        },
        "layers": layers,
        "predictions": predictions,
        "filters": _first_filters(built),
    }


def _first_filters(built: _Built) -> dict[str, Any] | None:
    for row in built.rows:
        if row.type == "conv2d":
            w = built.module.get_submodule(row.path).weight.detach()  # (out, in/g, kh, kw)
            if w.shape[0] * w[0].numel() > 64 * 3 * 11 * 11:
                w = w[:64]
            return {"layer": row.path, **encode.exact(w)}
    return None


@router.post("/layer")
def layer(req: LayerRequest, request: Request, settings: SettingsDep) -> Response:
    """Channels start..start+count of one layer as one byte per value: a binary frame of
    a JSON header (shape, per-tile ranges) and a grayscale PNG atlas of the tiles."""
    built, _ = _network(req.net, request, settings)
    x, _, _ = _input(req, built, request, settings)
    if req.layer == "input":
        t = x
    else:
        _row(built, req.layer)
        t = _capture(built, x, [req.layer]).layers[req.layer]
    count = min(req.count, settings.max_feature_channels)
    plane = max(1, t[0].numel() if t.dim() == 3 else t.numel())
    count = max(1, min(count, settings.max_feature_values // plane))
    meta, png = encode.layer_page(t, req.start, count, req.scale)
    meta["layer"] = req.layer
    return Response(encode.frame(meta, png), media_type="application/octet-stream")


@router.post("/channel")
def channel(req: ChannelRequest, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """One channel's exact float32 values, and for a conv layer the filter that made it."""
    built, _ = _network(req.net, request, settings)
    x, _, _ = _input(req, built, request, settings)
    if req.layer == "input":
        t, row = x, None
    else:
        row = _row(built, req.layer)
        t = _capture(built, x, [req.layer]).layers[req.layer]
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
