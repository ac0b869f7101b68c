"""Feature maps of any network for one image, one layer page at a time.

POST /api/features/overview  network + image -> layers (shape, range), top-5, filters
POST /api/features/layer     one layer's channels start..start+count -> binary frame
                             (uint32 JSON length, JSON meta, grayscale PNG atlas)
POST /api/features/channel   one channel's exact float32 values (+ its conv filter)
GET  /api/features/presets   MNIST digits, sklearn's china.jpg and flower.jpg

Images come from POST /api/images (the convolution view's store) or a preset.
Networks: a zoo name, a spec, or any entry of the weights library (GET /api/weights:
shipped, finished runs, imported files), which brings its own spec; the network service
(server/net/core/networks.py) builds and caches them, server/net/core/feature_maps.py
caches prepared inputs and an overview's layer outputs (CNNPLAY_FEATURE_CACHE_BYTES).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from PIL import Image
from pydantic import BaseModel, Field

from server.api.deps import FeatureMapsDep, NetworksDep, SettingsDep
from server.api.services import open_network
from server.config import Settings
from server.net.core import encode, preparation
from server.net.core import feature_maps as FM
from server.net.core.finetune import finetune
from server.net.core.networks import RANDOM_SEED, Network, Networks
from server.net.core.shapes import LayerInfo
from server.net.core.spec import NetworkSpec
from server.net.data import mnist
from server.net.data.images import PHOTOS, sample_photo
from server.net.weights import library as lib

router = APIRouter(prefix="/features", tags=["features"])


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


# --- images -----------------------------------------------------------------------------


def presets() -> list[dict[str, str]]:
    digits = [
        {"id": f"mnist-{d}", "title": f"MNIST digit {d}", "kind": "mnist"}
        for d in mnist.digit_examples()
    ]
    photos = [
        {"id": name, "title": f"{name.title()} (sklearn sample)", "kind": "photo"}
        for name in PHOTOS
    ]
    return digits + photos


def _image(key: str, request: Request) -> Image.Image:
    if key in PHOTOS:
        return sample_photo(key)
    if key.startswith("mnist-") and key[6:].isdigit() and int(key[6:]) in range(10):
        index = mnist.digit_examples()[int(key[6:])]
        return Image.fromarray(mnist.load().images[index], mode="L")
    img = request.app.state.images.get(key, request.state.user)  # the uploader's only
    if img is None:
        raise HTTPException(
            404, f"image: no uploaded image or preset {key!r} (it may have expired)"
        )
    return img


# --- one request's network and input ------------------------------------------------------


def _open(
    req: FeatureRequest,
    request: Request,
    networks: Networks,
    maps: FM.FeatureMaps,
    settings: Settings,
) -> tuple[Network, FM.Prepared]:
    net = open_network(networks, zoo=req.net.zoo, spec=req.net.spec, weights=req.net.weights)
    shape = net.spec.input.shape
    try:
        plan = preparation.plan(net.weights, shape, req.normalize, req.invert, settings.data_dir)
    except ValueError as exc:
        raise HTTPException(422, f"normalize: {exc}") from None
    try:
        inp = maps.prepare(req.image, lambda: _image(req.image, request), plan)
    except ValueError as exc:
        raise HTTPException(422, f"net.input: {exc}") from None
    return net, inp


def _row(net: Network, path: str) -> LayerInfo:
    row = net.row(path)
    if row is None:
        raise HTTPException(404, f"layer: no layer at path {path!r}")
    return row


def _layer(net: Network, inp: FM.Prepared, path: str, maps: FM.FeatureMaps) -> Any:
    if path != "input":
        _row(net, path)
    return maps.layer(net, inp, path)


# --- endpoints ----------------------------------------------------------------------------


@router.get("/presets")
def list_presets() -> list[dict[str, str]]:
    """Images to try without uploading: one MNIST digit per class and two photos."""
    return presets()


@router.post("/overview")
def overview(
    req: FeatureRequest,
    request: Request,
    settings: SettingsDep,
    networks: NetworksDep,
    maps: FeatureMapsDep,
) -> dict[str, Any]:
    """Every layer's path, type, shape and value range; top-5 with trained weights; the
    first conv layer's filters (and, for a fine-tuned run, the pretrained ones and how far
    each layer moved); how the image was prepared."""
    net, inp = _open(req, request, networks, maps, settings)
    cap = maps.overview(net, inp)
    layers = []
    for row in net.rows:
        lo, hi = FM.value_range(cap.layers.get(row.path))
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
    weights = net.weights
    top = FM.top5(net, cap.output)
    if weights is not None and layers:  # the output strip, labelled with class names
        layers[-1]["labels"] = weights.labels(cap.output.numel())
    return {
        "network": {
            "name": net.spec.name,
            "trained": weights is not None,
            "weights": weights.id if weights else None,
            "kind": weights.kind if weights else None,
            "title": weights.title if weights else None,
            "accuracy": weights.accuracy if weights else None,
            "note": _note(weights),
            "input_shape": list(net.spec.input.shape),
        },
        "input": _input_json(inp),
        "layers": layers,
        "predictions": top,
        "prediction": {"top5": top} if top is not None else None,
        "filters": FM.first_filters(net),
        "finetune": finetune(net, lambda weights_id: networks.entry(weights_id).path),
    }


def _input_json(inp: FM.Prepared) -> dict[str, Any]:
    """The preparation panel: what the image was and what the network got."""
    plan, x = inp.plan, inp.x
    lo, hi = FM.value_range(x)
    return {
        "original": list(inp.size),
        "mode": "grayscale" if x.shape[0] == 1 else "RGB",
        "shape": list(x.shape),
        "normalize": plan.normalize,
        "stats": [list(plan.stats[0]), list(plan.stats[1])] if plan.stats else None,
        "invert": plan.invert,
        "min": lo,
        "max": hi,
        # torchvision's resize + centre crop + mean/std (issue 17), or None: stretched
        "preparation": plan.preprocess.public() if plan.preprocess else None,
    }


def _note(weights: lib.Entry | None) -> str:
    if weights is None:
        return f"untrained: random weights (seed {RANDOM_SEED})"
    what = {
        "shipped": "trained weights",
        "run": "your run",
        "upload": "imported weights",
        "imagenet": "torchvision's ImageNet weights",
    }
    # torchvision publishes top-1 on ImageNet's validation set, not our held-out split
    score = "ImageNet top-1 accuracy" if weights.kind == "imagenet" else "held-out accuracy"
    acc = f", {score} {weights.accuracy:.1%}" if weights.accuracy is not None else ""
    return f"{what.get(weights.kind, 'weights')}: {weights.title}{acc}"


@router.post("/layer")
def layer(
    req: LayerRequest,
    request: Request,
    settings: SettingsDep,
    networks: NetworksDep,
    maps: FeatureMapsDep,
) -> Response:
    """Channels start..start+count of one layer as one byte per value: a binary frame of
    a JSON header (shape, per-tile ranges) and a grayscale PNG atlas of the tiles."""
    net, inp = _open(req, request, networks, maps, settings)
    t = _layer(net, inp, req.layer, maps)
    count = min(req.count, settings.max_feature_channels)
    plane = max(1, t[0].numel() if t.dim() == 3 else t.numel())
    count = max(1, min(count, settings.max_feature_values // plane))
    meta, png = encode.layer_page(t, req.start, count, req.scale)
    meta["layer"] = req.layer
    return Response(encode.frame(meta, png), media_type="application/octet-stream")


@router.post("/channel")
def channel(
    req: ChannelRequest,
    request: Request,
    settings: SettingsDep,
    networks: NetworksDep,
    maps: FeatureMapsDep,
) -> dict[str, Any]:
    """One channel's exact float32 values, and for a conv layer the filter that made it."""
    net, inp = _open(req, request, networks, maps, settings)
    t = _layer(net, inp, req.layer, maps)
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
    row = net.row(req.layer)
    if row is not None and row.type == "conv2d":
        conv = net.module.get_submodule(req.layer)
        w = conv.weight.detach()[req.channel]  # (in/groups, kh, kw)
        out["filter"] = {
            "weights": encode.exact(w),
            "bias": float(conv.bias.detach()[req.channel]) if conv.bias is not None else None,
        }
    return out
