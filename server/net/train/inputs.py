"""What a run feeds its network: its data at the network's input size, scaled per channel.

A run sees (x - mean) / std of [0, 1] pixels; `input_scaling` says which mean and std, and
the statistics are stored with the run (TrainConfig.input_stats, issue 12) so that feature
maps of its weights scale an image the same way without reloading its training set.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.net.data import datasets

if TYPE_CHECKING:
    from server.net.train.config import TrainConfig

# Pixel values a dataset had before [0, 1] scaling, for normalize="none" (255 unless listed).
RAW_MAX = datasets.RAW_MAX


class InputStats(BaseModel):
    """Per-channel mean and std of [0, 1] pixels: the network sees (x - mean) / std."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mean: list[float] = Field(min_length=1, max_length=3)
    std: list[Annotated[float, Field(gt=0)]] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _same_length(self) -> InputStats:
        if len(self.mean) != len(self.std):
            raise ValueError(f"mean has {len(self.mean)} values and std {len(self.std)}")
        return self

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std), each (1, C, 1, 1)."""
        mean, std = torch.tensor(self.mean), torch.tensor(self.std)
        return mean.view(1, -1, 1, 1), std.view(1, -1, 1, 1)


def input_scaling(x_train: torch.Tensor, config: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std), each (1, C, 1, 1): a run feeds its network (x - mean) / std, x being
    [0, 1] pixels. "standardize": config.input_stats when given, else per channel from the
    training set only (std 0 -> 1); "none": back to the dataset's raw pixel values;
    "scale": [0, 1] as is."""
    c = x_train.shape[1]
    if config.input_stats is not None:
        mean, std = config.input_stats.tensors()
        if mean.shape[1] != c:
            raise ValueError(
                f"config.input_stats has {mean.shape[1]} channels; the images have {c}"
            )
        return mean, std
    if config.normalize == "standardize":
        mean = x_train.mean((0, 2, 3), keepdim=True)
        std = x_train.std((0, 2, 3), keepdim=True)
        return mean, torch.where(std > 0, std, torch.ones_like(std))
    zero = torch.zeros(1, c, 1, 1)
    if config.normalize == "none":
        return zero, torch.full((1, c, 1, 1), 1.0 / RAW_MAX[config.dataset])
    return zero, torch.ones(1, c, 1, 1)


def normalizer(
    x_train: torch.Tensor, config: TrainConfig
) -> Callable[[torch.Tensor], torch.Tensor]:
    mean, std = input_scaling(x_train, config)
    return lambda t: (t - mean) / std


def run_data(
    config: TrainConfig, channels: int, height: int, width: int, data_dir: Path | str | None = None
) -> datasets.Split:
    """The data a run with this config trains and is judged on, at the network's input
    size; RGB <-> grey converted to its channels. Downloaded and uploaded sets live in
    data_dir. train(), its misclassified pages and its feature-map scaling all use this."""
    return datasets.load(
        config.dataset,
        height,
        width,
        config.train_limit,
        classes=config.classes,
        per_class=config.per_class,
        seed=config.seed,
        channels=channels,
        data_dir=data_dir,
        val_split=config.val_split,
    )
