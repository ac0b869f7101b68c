"""safetensors weights: checked against the spec's state_dict, never torch.load."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import models
from server.net.core.build import build_module
from server.net.weights import files as weights


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    spec = models.get("mnist_cnn")
    net = build_module(spec)
    digest = weights.save(spec, net, tmp_path / "w.safetensors")
    assert digest == weights.sha256(tmp_path / "w.safetensors")
    back = weights.load(spec, tmp_path / "w.safetensors")
    for k, v in net.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)


def test_mismatch_names_every_key(tmp_path: Path) -> None:
    state = build_module(models.get("mnist_cnn")).state_dict()
    state["layers.0.weight"] = torch.zeros(8, 1, 3, 3)
    del state["layers.10.bias"]
    state["extra"] = torch.zeros(1)
    save_file(state, str(tmp_path / "bad.safetensors"))
    with pytest.raises(weights.WeightsMismatch) as err:
        weights.load(models.get("mnist_cnn"), tmp_path / "bad.safetensors")
    text = str(err.value)
    assert "layers.0.weight: shape [8, 1, 3, 3]" in text
    assert "layers.10.bias: missing" in text and "extra: in the file" in text
