"""Gradient flow (issue 8), under /api/learning:

- POST /gradflow: one MNIST batch through a freshly initialised network (a comparison
  network or the caller's spec) and back: per conv/linear layer ||dL/dW||, ||W|| and a
  histogram of the activation after it.
- POST /gradflow/comparison: the four networks of the classic comparison with their
  training settings (probe on), ready to POST to /api/runs one by one.

Thin: validate against the Settings limits, call server.net.lab.gradflow.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import SettingsDep
from server.api.learning.common import ActivationStats, at_most
from server.api.shapes import checked_report
from server.config import Settings
from server.net.core.build import build_module
from server.net.core.shapes import ShapeReport
from server.net.core.spec import NetworkSpec
from server.net.data import mnist
from server.net.lab import gradflow as GF
from server.net.train.loop import TrainConfig, initialize

router = APIRouter()

Preset = Literal["sigmoid", "relu_he", "batchnorm", "residual"]
InitName = Literal["default", "xavier", "kaiming", "normal", "zeros"]


def _check_stack(depth: int, width: int, settings: Settings) -> None:
    at_most("depth", depth, settings.max_gradflow_depth, "MAX_GRADFLOW_DEPTH", " layers")
    at_most("width", width, settings.max_gradflow_width, "MAX_GRADFLOW_WIDTH", " units")


class GradflowRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: NetworkSpec | None = Field(
        None,
        description="a network taking 1x28x28-like MNIST input with 10 outputs; "
        "default: the comparison network `preset`",
    )
    preset: Preset = "sigmoid"
    depth: int = Field(10, ge=3, description="linear layers of the preset network")
    width: int = Field(64, ge=1, description="units per hidden layer of the preset network")
    init: InitName | None = Field(
        None, description="as TrainConfig.init; default: the preset's own, PyTorch's for a spec"
    )
    batch_size: int = Field(64, ge=2)  # batch norm needs two rows for a variance
    seed: int = Field(0, ge=0, le=2**31 - 1)
    bins: int = Field(GF.BINS, ge=2, le=200)


class LayerFlowOut(ActivationStats):
    path: str
    type: str
    grad_norm: float = Field(description="||dL/dW||, Frobenius norm of the weight's gradient")
    weight_norm: float = Field(description="||W||")
    ratio: float = Field(description="grad_norm / weight_norm")
    act_path: str = Field(description="the layer whose output the histogram counts")
    act_type: str


class GradflowResponse(BaseModel):
    name: str
    preset: Preset | None
    init: str
    loss: float
    batch_size: int
    layers: list[LayerFlowOut]


def _check_fit(spec: NetworkSpec, settings: Settings) -> ShapeReport:
    report = checked_report(spec, settings)
    if spec.input.channels != 1:
        raise HTTPException(
            422, f"spec.input.channels is {spec.input.channels}; MNIST images have 1 channel"
        )
    if list(report.output_shape) != [10]:
        raise HTTPException(
            422,
            f"the network's output shape is {tuple(report.output_shape)}; MNIST needs (10,): "
            "end with flatten and a linear layer of 10 units",
        )
    at_most(
        "spec",
        report.total_params,
        settings.max_train_params,
        "MAX_TRAIN_PARAMS",
        " parameters",
    )
    return report


def mnist_batch(n: int, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n images of the MNIST training part, standardised, (n, 1, H, W), resized
    (bilinear) when the network's input is not 28x28; and their labels (n,)."""
    train, _ = mnist.split()
    x, y = mnist.tensors(train[:n])
    if x.shape[-2:] != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)
    return x, y


@router.post("/gradflow")
def gradflow(req: GradflowRequest, settings: SettingsDep) -> GradflowResponse:
    """Gradient norms and activation histograms at initialization, from one batch of the
    MNIST training part (standardised) and its cross-entropy."""
    at_most("batch_size", req.batch_size, settings.max_gradflow_batch, "MAX_GRADFLOW_BATCH")
    if req.spec is None:
        _check_stack(req.depth, req.width, settings)
        spec, init = GF.comparison_spec(req.preset, req.depth, req.width), req.init
        init = init or GF.comparison_init(req.preset)
    else:
        spec, init = req.spec, req.init or "default"
    report = _check_fit(spec, settings)
    batch_bytes = report.activations * 4 * req.batch_size  # the batch's activations (issue 13)
    if batch_bytes > settings.max_activation_bytes:
        raise HTTPException(
            413,
            f"batch_size: {req.batch_size} images through this network make {batch_bytes:,} "
            f"bytes of activations; the limit is {settings.max_activation_bytes:,} "
            "(CNNPLAY_MAX_ACTIVATION_BYTES)",
        )
    _, height, width = spec.input.shape
    x, y = mnist_batch(req.batch_size, height, width)
    with torch.random.fork_rng(devices=[]):  # seeded weights; the global generator untouched
        torch.manual_seed(req.seed)
        module = build_module(spec)
        initialize(module, init)
        flow = GF.at_init(module, x, y, req.bins)
    return GradflowResponse(
        name=spec.name,
        preset=req.preset if req.spec is None else None,
        init=init,
        loss=flow.loss,
        batch_size=len(x),
        layers=[LayerFlowOut(**vars(f)) for f in flow.layers],
    )


class ComparisonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    depth: int = Field(10, ge=3, description="linear layers in each network")
    width: int = Field(64, ge=1)
    train_limit: int = Field(4000, ge=64, description="training images (the first n)")
    epochs: int = Field(1, ge=1, le=20)
    batch_size: int = Field(64, ge=2, le=1024)
    optimizer: Literal["sgd", "momentum", "adam"] = "sgd"
    lr: float = Field(0.1, gt=0, le=10)
    probe_every: int = Field(
        4, ge=1, le=1_000_000, description="iterations between gradient-flow events"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)


class ComparisonRun(BaseModel):
    key: Preset
    title: str
    description: str
    spec: NetworkSpec
    config: TrainConfig


class ComparisonResponse(BaseModel):
    runs: list[ComparisonRun]


@router.post("/gradflow/comparison")
def comparison(req: ComparisonRequest, settings: SettingsDep) -> ComparisonResponse:
    """The classic comparison as four (spec, config) pairs; the client starts each with
    POST /api/runs and reads the "gradflow" events of its stream."""
    _check_stack(req.depth, req.width, settings)
    runs = []
    for key, (title, init, description) in GF.COMPARISON.items():
        config = TrainConfig(
            dataset="mnist",
            epochs=req.epochs,
            batch_size=req.batch_size,
            optimizer=req.optimizer,
            lr=req.lr,
            init=init,
            seed=req.seed,
            train_limit=req.train_limit,
            probe_every=req.probe_every,
        )
        spec = GF.comparison_spec(key, req.depth, req.width)  # type: ignore[arg-type]
        runs.append(
            ComparisonRun(key=key, title=title, description=description, spec=spec, config=config)
        )
    return ComparisonResponse(runs=runs)
