"""Recurrent gates (issue 8), under /api/learning:

GET  /gates/presets  networks with an lstm/gru, and one digit per class
POST /gates          one image's gate activations, step by step

Thin: validate, call server.net.lab.gates, return numbers to draw.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, model_validator

from server.api.deps import NetworksDep, SettingsDep, StoreDep
from server.api.learning.runs import weights_id
from server.api.services import open_network
from server.api.shapes import checked_report
from server.api.weights import LibraryDep
from server.config import Settings
from server.net.core import encode
from server.net.core.networks import Network, NetworkError, Networks
from server.net.core.spec import NetworkSpec
from server.net.data import mnist
from server.net.lab import gates as G
from server.net.weights import library as lib
from server.store import Store

router = APIRouter()
DIGITS = 4  # decimals sent for activations


def _walk(layers: list[Any]) -> Any:
    for layer in layers:
        yield layer
        for key in ("layers", "body", "shortcut"):
            yield from _walk(getattr(layer, key, None) or [])
        for branch in getattr(layer, "branches", None) or []:
            yield from _walk(branch)


def recurrent_kind(spec: NetworkSpec) -> str | None:
    """The type of the spec's first lstm/gru layer, or None."""
    return next((x.type for x in _walk(spec.layers) if x.type in ("lstm", "gru")), None)


@router.get("/gates/presets")
def gate_presets(library: LibraryDep) -> dict[str, Any]:
    """Weights whose network has an lstm or gru (shipped, then finished runs), and the
    index of one held-out MNIST image per digit."""
    networks = [
        {
            "weights": e.id,
            "title": e.title,
            "kind": e.kind,
            "layer": recurrent_kind(e.spec),
            "accuracy": e.accuracy,
            "input": list(e.spec.input.shape),
        }
        for e in library.list()
        if recurrent_kind(e.spec) is not None
    ]
    digits = [{"digit": d, "index": i} for d, i in mnist.digit_examples().items()]
    return {"networks": networks, "digits": digits}


class GatesRequest(BaseModel):
    weights: str | None = Field(
        None, max_length=100, description="a weights id: rnn_mnist_lstm, run-<id>, ..."
    )
    zoo: str | None = Field(None, max_length=100, description="a zoo name, random weights")
    spec: NetworkSpec | None = Field(None, description="a design, random weights")
    mnist_index: int | None = Field(None, ge=0, lt=10_000)
    pixels: list[list[float]] | None = Field(
        None, description="H x W values in [0, 1], ink 1 (a drawn digit)"
    )

    @model_validator(mode="after")
    def _one_each(self) -> GatesRequest:
        if sum(x is not None for x in (self.weights, self.zoo, self.spec)) != 1:
            raise ValueError("give exactly one of weights, zoo, spec")
        if (self.mnist_index is None) == (self.pixels is None):
            raise ValueError("give exactly one of mnist_index, pixels")
        return self


class GatesResponse(BaseModel):
    network: str
    weights: str | None
    kind: Literal["lstm", "gru"]
    path: str
    steps: int
    features: int
    hidden: int
    params: int
    formula: str
    notes: list[str]
    gate_names: list[str]
    gates: dict[str, list[list[float]]]  # name -> (T, H)
    h: list[list[float]]  # (T, H)
    c: list[list[float]] | None  # (T, H), LSTM only
    image: list[list[float]]  # (H, W) in [0, 1]: what was read, row t at step t
    label: int | None
    logits: list[float]
    probs: list[float] | None
    prediction: int | None
    labels: list[str]


def _planned_spec(req: GatesRequest, networks: Networks, weights: str | None) -> NetworkSpec | None:
    """The spec the request names, read without building anything (None: open_network
    below says what is wrong with the reference)."""
    try:
        if req.spec is not None:
            return req.spec
        if req.zoo is not None:
            return networks.zoo(req.zoo)
        return networks.entry(weights or "").spec
    except NetworkError:
        return None


def check_cost(spec: NetworkSpec, settings: Settings) -> None:
    """Before the network is built (issue 13: a 1 GB network was built to answer 422):
    the size limits, a recurrent layer, and the values its gates make."""
    report = checked_report(spec, settings)
    layer = next((x for x in _walk(spec.layers) if x.type in ("lstm", "gru")), None)
    row = next((r for r in report.layers if r.type in ("lstm", "gru")), None)
    if layer is None or row is None:
        raise HTTPException(
            422, f"{spec.name}: the network has no lstm or gru layer to show gates for"
        )
    shape = row.input_shape
    steps = shape[-2] if len(shape) == 3 else shape[0]  # (C, H, W): H rows; (T, F): T
    values = steps * layer.hidden_size * (len(G.GATE_NAMES[layer.type]) + 2)
    if values > settings.max_gate_values:
        raise HTTPException(
            413,
            f"{row.path}: {steps} steps x {layer.hidden_size} units is {values:,} values; the "
            f"limit is {settings.max_gate_values:,} (CNNPLAY_MAX_GATE_VALUES)",
        )


def _network(req: GatesRequest, networks: Networks, store: Store, settings: Settings) -> Network:
    weights = weights_id(req.weights, store) if req.weights is not None else None
    spec = _planned_spec(req, networks, weights)
    if spec is not None:
        check_cost(spec, settings)
    return open_network(networks, zoo=req.zoo, spec=req.spec, weights=weights, where="")


def _image(req: GatesRequest, shape: tuple[int, int, int]) -> tuple[torch.Tensor, int | None]:
    """(H, W) pixels in [0, 1] and the MNIST label, checked against the input shape."""
    channels, height, width = shape
    if channels != 1:
        raise HTTPException(
            422, f"the network reads {channels} channels; gates need a 1-channel input"
        )
    if req.mnist_index is not None:
        if (height, width) != (28, 28):
            raise HTTPException(
                422,
                f"mnist_index: the network's input is {height}x{width}, an MNIST digit 28x28",
            )
        data = mnist.load()
        pixels = torch.from_numpy(data.images[req.mnist_index].astype("float32") / 255.0)
        return pixels, int(data.labels[req.mnist_index])
    assert req.pixels is not None
    rows = req.pixels
    if len(rows) != height or any(len(r) != width for r in rows):
        raise HTTPException(422, f"pixels: the network's input needs {height} rows of {width}")
    pixels = torch.tensor(rows, dtype=torch.float32)
    if not bool(torch.isfinite(pixels).all()) or float(pixels.min()) < 0 or pixels.max() > 1:
        raise HTTPException(422, "pixels: every value must be a number in [0, 1]")
    return pixels, None


@router.post("/gates")
def gates(
    req: GatesRequest, settings: SettingsDep, store: StoreDep, networks: NetworksDep
) -> GatesResponse:
    """The first lstm/gru layer's gates, cell state and hidden state at each of its steps,
    unrolled with the layer's own weights, and the network's prediction."""
    net = _network(req, networks, store, settings)
    spec, entry = net.spec, net.weights
    try:
        path, layer = G.first_recurrent(net.module)
    except G.NoRecurrentLayer as exc:
        raise HTTPException(422, f"{spec.name}: {exc}") from None
    shape = next(info.input_shape for info in net.rows if info.path == path)
    steps = shape[-2] if len(shape) == 3 else shape[0]  # (C, H, W): H rows; (T, F): T
    kind = "lstm" if isinstance(layer.rnn, torch.nn.LSTM) else "gru"
    values = steps * layer.rnn.hidden_size * (len(G.GATE_NAMES[kind]) + 2)
    if values > settings.max_gate_values:
        raise HTTPException(
            413,
            f"{path}: {steps} steps x {layer.rnn.hidden_size} units is {values:,} values; the "
            f"limit is {settings.max_gate_values:,} (CNNPLAY_MAX_GATE_VALUES)",
        )
    pixels, label = _image(req, spec.input.shape)
    stats = lib.input_stats(entry) if entry is not None else None
    mean, std = (stats[0][0], stats[1][0]) if stats else (mnist.MEAN, mnist.STD)
    x = ((pixels - mean) / std).unsqueeze(0)  # (1, H, W)
    with net.lock:  # the network is shared: its hooks and forward pass take turns
        tr = G.trace(net.module, x)
    logits = tr.output.reshape(-1)
    is_class = tr.output.dim() == 1
    probs = logits.softmax(0) if is_class else None
    labels = entry.labels(len(logits)) if entry is not None else [str(i) for i in range(10)]
    return GatesResponse(
        network=spec.name,
        weights=entry.id if entry is not None else None,
        kind=tr.kind,
        path=tr.path,
        steps=tr.steps,
        features=tr.features,
        hidden=tr.hidden,
        params=tr.params,
        formula=tr.formula,
        notes=tr.notes,
        gate_names=list(tr.unrolled.gates),
        gates={k: encode.nested(v, DIGITS) for k, v in tr.unrolled.gates.items()},
        h=encode.nested(tr.unrolled.h, DIGITS),
        c=encode.nested(tr.unrolled.c, DIGITS) if tr.unrolled.c is not None else None,
        image=encode.nested(pixels, DIGITS),
        label=label,
        logits=encode.nested(logits),
        probs=encode.nested(probs) if probs is not None else None,
        prediction=int(logits.argmax()) if is_class else None,
        labels=labels if is_class and len(labels) == len(logits) else [],
    )
