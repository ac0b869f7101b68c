"""server/net/weights/uploads.py: converted tensors stored as upload entries."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import models
from server.net.core.build import build_module
from server.net.weights import library as lib
from server.net.weights.uploads import expected_state, import_tensors

SPEC = models.get("mnist_cnn")


def test_import_tensors_stores_an_entry_with_its_details(tmp_path: Path) -> None:
    state = build_module(SPEC).state_dict()
    details = {"zoo": "mnist_cnn", "preprocess": {"resize": 32}, "source": "test"}
    entry = import_tensors(
        tmp_path, SPEC, state, title="mine", file_name="a/b.pth", details=details
    )
    assert entry.id.startswith("upload-") and entry.title == "mine"
    assert entry.zoo == "mnist_cnn" and entry.preprocess == {"resize": 32}
    assert entry.details["source"] == "test" and entry.details["file_name"] == "b.pth"
    again = lib.find(entry.id, tmp_path, None, models.get)
    assert again == entry
    stored = load_file(str(entry.path))
    assert all(torch.equal(stored[k], state[k]) for k in state)


def test_shared_tensors_are_stored_apart(tmp_path: Path) -> None:
    state = dict(build_module(SPEC).state_dict())
    state["layers.0.bias"] = state["layers.0.weight"].flatten()[:16]  # a view of another
    entry = import_tensors(tmp_path, SPEC, state)
    assert torch.equal(load_file(str(entry.path))["layers.0.bias"], state["layers.0.bias"])


def test_tensors_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    state = dict(build_module(SPEC).state_dict())
    del state["layers.0.bias"]
    with pytest.raises(lib.BadWeights, match="layers.0.bias: missing"):
        import_tensors(tmp_path, SPEC, state)
    assert not list(tmp_path.glob("weights/*"))


def test_expected_state_allocates_nothing() -> None:
    state = expected_state(models.get("vgg19"))  # 144M values
    assert all(t.is_meta for t in state.values())
    assert list(state["layers.3.layers.6.weight"].shape) == [1000, 4096]
