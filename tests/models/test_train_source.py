"""The shipped source-task weights (mnist_cnn, 5-way head, digits 0-4)."""

from __future__ import annotations

import json

import pytest

from models import train_mnist, train_source
from server.net import datasets, weights
from server.net.train import evaluate

MANIFEST = train_source.WEIGHTS_DIR / "manifest.json"


def test_manifest_entry_matches_file() -> None:
    manifest = json.loads(MANIFEST.read_text())
    entry = manifest[train_source.NAME]
    assert weights.sha256(train_source.WEIGHTS_DIR / entry["file"]) == entry["sha256"]
    assert entry["source_data"] == "MNIST digits 0-4" and entry["classes"] == [0, 1, 2, 3, 4]
    assert entry["seed"] == train_source.SEED and entry["epochs"] == train_source.EPOCHS
    assert entry["heldout_accuracy"] >= 0.97
    assert "mnist_cnn" in manifest  # the 10-digit weights stay listed


def test_shipped_weights_score_on_digits_0_to_4() -> None:
    entry = json.loads(MANIFEST.read_text())[train_source.NAME]
    net = weights.load(train_source.spec(), train_source.WEIGHTS_DIR / entry["file"])
    data = datasets.load("mnist", 28, 28, classes=train_source.CLASSES)
    mean, std = entry["normalize"]["mean"][0], entry["normalize"]["std"][0]
    _, pred = evaluate(net, (data.x_val - mean) / std, data.y_val, train_source.config(), 5)
    acc = float((pred == data.y_val).float().mean())
    assert acc == pytest.approx(entry["heldout_accuracy"], abs=1e-3)
    assert len(data.y_val) == entry["heldout_size"]


def test_with_head_swaps_only_the_last_layer() -> None:
    spec = train_source.spec()
    base = train_mnist.spec()
    assert spec.layers[-1].out_features == 5 and spec.layers[:-1] == base.layers[:-1]


@pytest.mark.slow
def test_rerunnable_and_keeps_other_entries(tmp_path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"other": {"file": "x"}}))
    entry = train_source.train_source(epochs=1, out_dir=tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest) == {"other", train_source.NAME} and entry["epochs"] == 1
    assert weights.sha256(tmp_path / entry["file"]) == entry["sha256"]
    assert entry["heldout_accuracy"] > 0.9
