"""TrainConfig: everything about a training run but the network, as plain validated data.

A job carries it as JSON (server/jobs/worker.py); the runs API checks it before queueing
(server/api/run_checks.py). Its bounds keep a run small enough to be safe.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.net.data import datasets, subsets
from server.net.train import class_weights as class_weights_
from server.net.train import snapshots
from server.net.train.inputs import InputStats


class TrainConfig(BaseModel):
    """Everything about a run but the network. Bounds keep a run small enough to be safe."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # A name from GET /api/datasets: mnist, digits, shapes, mnist_full, fashion_mnist,
    # cifar10 or upload:<id> (whether it is on disk is checked by the runs API).
    dataset: str = Field("mnist", min_length=1, max_length=100)
    batch_size: int = Field(64, ge=1, le=4096)
    epochs: int = Field(2, ge=1, le=100)
    lr: float = Field(1e-3, gt=0, le=1e7)
    optimizer: Literal["sgd", "momentum", "rmsprop", "adam", "adamw"] = "adam"
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"
    init: Literal["default", "xavier", "kaiming", "normal", "zeros"] = "default"
    l1: float = Field(0.0, ge=0, le=10)
    l2: float = Field(0.0, ge=0, le=10)
    l2_mode: Literal["penalty", "weight_decay"] = "penalty"
    normalize: Literal["standardize", "scale", "none"] = "standardize"
    seed: int = Field(0, ge=0, le=2**31 - 1)
    # Keep only the first n training samples: quick runs and tests.
    train_limit: int | None = Field(None, ge=1)
    # Transfer learning: a class subset (relabelled 0..k-1 in order), a per-class cap on
    # training samples (seeded), layer paths to freeze, shipped weights to start from.
    classes: list[int] | None = Field(None, min_length=2, max_length=10)
    per_class: int | None = Field(None, ge=1)
    frozen: list[str] = Field(default_factory=list, max_length=200)
    init_from: str | None = Field(None, max_length=100)
    # Re-initialise the last linear layer even when its shape matches the file's.
    new_head: bool = True
    # Learning rate of pretrained layers that are not frozen (None: the same as lr).
    pretrained_lr: float | None = Field(None, gt=0, le=1e7)
    # Gradient flow (issue 8): a {"kind": "gradflow"} event on iterations 1, k+1, 2k+1...
    probe_every: int | None = Field(None, ge=1, le=1_000_000)
    # Hold out this fraction of the pooled train + held-out parts instead of the dataset's
    # own split: stratified, seeded by `seed`, before classes/per_class/train_limit.
    val_split: float | None = Field(None, ge=subsets.VAL_SPLIT_MIN, le=subsets.VAL_SPLIT_MAX)
    # normalize="standardize" with these per-channel statistics instead of the training
    # set's. The server fills it in: from the weights' preprocessing (ImageNet's mean/std)
    # when the run starts from such weights, else from the training set when the run starts,
    # so the run's scaling is stored with it (issue 12).
    input_stats: InputStats | None = None
    # What the run learns (issue 16): None follows the dataset (masks -> segmentation);
    # naming one that the dataset cannot give is refused.
    task: Literal["classification", "segmentation"] | None = None
    # Cross-entropy weighted per class by 1/sqrt(its share of the training targets): rare
    # mask classes (a line is ~1% of the pixels) learn as fast as common ones (issue 16).
    class_weights: class_weights_.ClassWeights = "none"
    # Inside the network (issue 19): snapshots of the filters and of one probe's feature maps
    # while it trains; the probe is held-out example `probe_index`, or the user's drawing.
    probe_index: int = Field(0, ge=0, le=10_000_000)
    probe_image: str | None = Field(None, max_length=snapshots.PROBE_IMAGE_CHARS)
    snapshots: bool = True  # (below the fields above: it shadows the module in this body)
    # Held-out examples the per-epoch curve is measured on (None: all; issue 20, curve.py).
    val_curve_samples: int | None = Field(250, ge=1)

    @field_validator("probe_image")
    @classmethod
    def _probe_png(cls, v: str | None) -> str | None:
        if v is not None:
            snapshots.decode_probe_image(v)  # ValueError names what is wrong
        return v

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, v: str) -> str:
        if not datasets.is_name(v):
            raise ValueError(
                f"unknown dataset {v[:80]!r}; known: {', '.join(datasets.NAMES)} or upload:<id>"
            )
        return v

    @model_validator(mode="after")
    def _weights_need_ce(self) -> TrainConfig:
        if self.class_weights != "none" and self.loss != "cross_entropy":
            raise ValueError(f"class_weights is for loss='cross_entropy', not {self.loss!r}")
        return self

    @model_validator(mode="after")
    def _stats_standardize(self) -> TrainConfig:
        if self.input_stats is not None and self.normalize != "standardize":
            raise ValueError(f'input_stats is for normalize="standardize", not {self.normalize!r}')
        return self

    @field_validator("classes")
    @classmethod
    def _distinct(cls, v: list[int] | None) -> list[int] | None:
        if v is not None:
            if len(set(v)) != len(v):
                raise ValueError(f"classes must be distinct, got {v}")
            if any(c < 0 for c in v):
                raise ValueError(f"classes must be labels >= 0, got {v}")
        return v
