"""The shipped MNIST weights: manifest matches the file; they score >= 97% held out."""

from __future__ import annotations

import json

import pytest

import models
from models import train_mnist
from server.net.data import mnist
from server.net.weights import files as weights

MANIFEST = train_mnist.WEIGHTS_DIR / "manifest.json"


def test_manifest_matches_file() -> None:
    entry = json.loads(MANIFEST.read_text())["mnist_cnn"]
    path = train_mnist.WEIGHTS_DIR / entry["file"]
    assert weights.sha256(path) == entry["sha256"]
    assert entry["heldout_accuracy"] >= 0.97
    assert entry["train_size"] == 8_000 and entry["heldout_size"] == 2_000
    assert entry["seed"] == train_mnist.SEED and "MNIST" in entry["data_source"]


def test_shipped_weights_score_on_held_out() -> None:
    entry = json.loads(MANIFEST.read_text())["mnist_cnn"]
    net = weights.load(models.get("mnist_cnn"), train_mnist.WEIGHTS_DIR / entry["file"])
    _, held = mnist.split()
    x, y = mnist.tensors(held)
    acc = train_mnist.accuracy(net, x, y)
    assert acc >= 0.97
    assert acc == pytest.approx(entry["heldout_accuracy"], abs=1e-4)


@pytest.mark.slow
def test_training_is_rerunnable(tmp_path) -> None:
    result = train_mnist.train(epochs=1, out_dir=tmp_path)
    assert (tmp_path / "mnist_cnn.safetensors").is_file()
    assert result["heldout_accuracy"] > 0.9
    assert json.loads((tmp_path / "manifest.json").read_text())["mnist_cnn"]["epochs"] == 1
