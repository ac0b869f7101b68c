"""What a run feeds its network (server/net/train/inputs.py): the stored input statistics."""

from __future__ import annotations

import pytest
import torch

import models
from server.net.train.inputs import InputStats, input_scaling, run_data
from server.net.train.loop import TrainConfig, train


def test_standardize_uses_the_training_set_or_the_given_stats() -> None:
    config = TrainConfig(dataset="digits", train_limit=200)
    x = run_data(config, 1, 8, 8).x_train
    mean, std = input_scaling(x, config)
    assert torch.allclose(mean.flatten(), x.mean((0, 2, 3)))
    assert torch.allclose(std.flatten(), x.std((0, 2, 3)))
    given = config.model_copy(update={"input_stats": InputStats(mean=[0.5], std=[0.25])})
    mean, std = input_scaling(x, given)
    assert mean.shape == std.shape == (1, 1, 1, 1) and (float(mean), float(std)) == (0.5, 0.25)


def test_the_start_event_carries_the_stats_and_given_ones_are_used() -> None:
    events: list[dict] = []
    config = TrainConfig(dataset="digits", epochs=1, train_limit=100, batch_size=50)
    train(models.get("mlp"), config, events.append)
    stats = events[0]["input_stats"]
    x = run_data(config, 1, 8, 8).x_train
    assert stats["mean"] == pytest.approx([float(x.mean())], rel=1e-6)
    # The same stats given: the same run, number for number.
    again: list[dict] = []
    fixed = config.model_copy(update={"input_stats": InputStats(**stats)})
    train(models.get("mlp"), fixed, again.append)
    assert [e.get("loss") for e in again] == [e.get("loss") for e in events]


def test_bad_stats_are_refused() -> None:
    with pytest.raises(ValueError, match="std"):
        InputStats(mean=[0.5, 0.5], std=[0.2])
    with pytest.raises(ValueError, match="greater than 0"):
        InputStats(mean=[0.5], std=[0.0])
    with pytest.raises(ValueError, match="standardize"):
        TrainConfig(normalize="scale", input_stats={"mean": [0.5], "std": [0.2]})
    config = TrainConfig(input_stats={"mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2]})
    with pytest.raises(ValueError, match="3 channels"):
        input_scaling(torch.zeros(2, 1, 4, 4), config)
