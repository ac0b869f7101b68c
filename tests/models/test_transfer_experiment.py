"""The transfer-vs-scratch experiment (models/transfer_experiment.py)."""

from __future__ import annotations

import pytest
import torch

from models import transfer_experiment


@pytest.mark.slow
def test_fine_tuned_tiny_resnet_beats_scratch_on_few_images() -> None:
    """Issue 7's race on digits 5-9, 50 images each, 40 steps at lr 3e-3: the tiny ResNet
    from digits 0-4 with its first stage frozen against the same net from scratch.
    Measured: seed 0 91.0% vs 81.4%, seed 1 92.4% vs 71.4%. (mnist_cnn's frozen extractor
    shows no such gap over seeds: scratch learns these digits as fast; see the issue.)"""
    torch.set_num_threads(2)
    out = transfer_experiment.compare(
        per_class=50, steps=40, lr=3e-3, seed=0, source="tiny_resnet_digits04", mode="later"
    )
    assert out["steps"] == 40 and out["mode"] == "later"
    t, s = out["transfer"], out["scratch"]
    assert t["status"] == s["status"] == "done"
    assert t["heldout_accuracy"] >= s["heldout_accuracy"] + 0.05
    assert t["trainable_params"] < s["trainable_params"]
    assert len(t["curve"]) == len(s["curve"]) == 4 and len(t["loss"]) == 40
