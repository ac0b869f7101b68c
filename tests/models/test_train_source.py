"""The shipped source-task weights (5-way heads trained on MNIST digits 0-4): mnist_cnn and
the tiny ResNet."""

from __future__ import annotations

import json

import pytest

import models
from models import train_mnist, train_source
from server.net.data import datasets
from server.net.train.loop import evaluate
from server.net.weights import files as weights

MANIFEST = train_source.WEIGHTS_DIR / "manifest.json"
NAMES = list(train_source.SOURCES)


def test_both_sources_are_listed() -> None:
    assert NAMES == ["mnist_cnn_digits04", "tiny_resnet_digits04"]
    assert train_source.NAME == "mnist_cnn_digits04" and train_source.ZOO == "mnist_cnn"


@pytest.mark.parametrize("name", NAMES)
def test_manifest_entry_matches_file(name: str) -> None:
    manifest = json.loads(MANIFEST.read_text())
    entry = manifest[name]
    source = train_source.SOURCES[name]
    assert weights.sha256(train_source.WEIGHTS_DIR / entry["file"]) == entry["sha256"]
    assert entry["source_data"] == "MNIST digits 0-4" and entry["classes"] == [0, 1, 2, 3, 4]
    assert entry["zoo"] == source.zoo and entry["head"] == 5
    assert entry["seed"] == train_source.SEED and entry["epochs"] == source.epochs
    assert entry["heldout_accuracy"] >= 0.97
    assert entry["train_seconds"] < 60  # "under a minute on one core"
    assert "mnist_cnn" in manifest  # the 10-digit weights stay listed


@pytest.mark.parametrize("name", NAMES)
def test_shipped_weights_score_on_digits_0_to_4(name: str) -> None:
    entry = json.loads(MANIFEST.read_text())[name]
    net = weights.load(train_source.spec(name), train_source.WEIGHTS_DIR / entry["file"])
    data = datasets.load("mnist", 28, 28, classes=train_source.CLASSES)
    mean, std = entry["normalize"]["mean"][0], entry["normalize"]["std"][0]
    config = train_source.config(name=name)
    _, pred = evaluate(net, (data.x_val - mean) / std, data.y_val, config, 5)
    acc = float((pred == data.y_val).float().mean())
    assert acc == pytest.approx(entry["heldout_accuracy"], abs=1e-3)
    assert len(data.y_val) == entry["heldout_size"]


def test_with_head_swaps_only_the_last_layer() -> None:
    spec = train_source.spec()
    base = train_mnist.spec()
    assert spec.layers[-1].out_features == 5 and spec.layers[:-1] == base.layers[:-1]
    resnet = train_source.spec("tiny_resnet_digits04")
    assert resnet.layers[:-1] == models.get("tiny_resnet").layers[:-1]
    assert resnet.layers[-1].out_features == 5


def test_cli_refuses_an_unknown_source(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        train_source.main_args(["nope"])
    assert "unknown source 'nope'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_rerunnable_and_keeps_other_entries(tmp_path, name: str) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"other": {"file": "x"}}))
    entry = train_source.train_source(epochs=1, out_dir=tmp_path, name=name)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest) == {"other", name} and entry["epochs"] == 1
    assert weights.sha256(tmp_path / entry["file"]) == entry["sha256"]
    assert entry["heldout_accuracy"] > 0.8
