"""Class-weighted cross-entropy (issue 16): the weights are 1/sqrt(class share), averaging
1 over the classes present, and a run's loss is F.cross_entropy with them."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from pydantic import ValidationError

from server.net.train import class_weights
from server.net.train.config import TrainConfig
from server.net.train.objective import loss as _loss


def test_none_is_plain_cross_entropy() -> None:
    assert class_weights.of(torch.tensor([0, 1, 1]), 2, "none") is None


def test_inverse_sqrt_of_the_pixel_shares() -> None:
    masks = torch.zeros(1, 10, 10, dtype=torch.long)  # 100 pixels: 81 / 16 / 0 / 3
    masks[0, :4, :4] = 1
    masks[0, 9, :3] = 3
    w = class_weights.of(masks, 4, "inverse_sqrt")
    raw = [math.sqrt(100 / 81), math.sqrt(100 / 16), 0.0, math.sqrt(100 / 3)]
    mean = (raw[0] + raw[1] + raw[3]) / 3
    assert w is not None and w.dtype == torch.float32
    torch.testing.assert_close(w, torch.tensor([r / mean for r in raw]))
    assert w[2] == 0 and float(w[[0, 1, 3]].mean()) == pytest.approx(1.0)
    assert w[3] > w[1] > w[0]  # the rarer, the heavier


def test_the_loss_is_weighted_per_pixel_cross_entropy() -> None:
    torch.manual_seed(0)
    out, y = torch.randn(2, 3, 4, 4), torch.randint(0, 3, (2, 4, 4))
    w = class_weights.of(y, 3, "inverse_sqrt")
    got = _loss(out, y, "cross_entropy", 3, w)
    torch.testing.assert_close(got, F.cross_entropy(out, y, weight=w))
    assert not torch.allclose(got, F.cross_entropy(out, y))


def test_class_weights_need_cross_entropy() -> None:
    TrainConfig(class_weights="inverse_sqrt")
    with pytest.raises(ValidationError, match="class_weights is for loss='cross_entropy'"):
        TrainConfig(class_weights="inverse_sqrt", loss="mse")
