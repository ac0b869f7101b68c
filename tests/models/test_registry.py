"""The registry refuses a second entry under a taken name."""

from __future__ import annotations

import pytest

import models
from models.registry import Registry


def test_duplicate_name_is_refused_and_the_first_entry_kept() -> None:
    reg = Registry()
    reg.register("net", "Net", "first", models.small.mlp, "small")
    with pytest.raises(ValueError, match="'net' is already registered"):
        reg.register("net", "Net 2", "second", models.small.mnist_cnn, "small")
    assert reg.entry("net").description == "first"
    assert [e.name for e in reg.entries()] == ["net"]
    assert reg.get("net") == models.small.mlp()


def test_the_global_zoo_refuses_a_name_it_already_holds() -> None:
    with pytest.raises(ValueError, match="resnet50"):
        models.ZOO.register("resnet50", "x", "y", models.small.mlp, "classic")


def test_unknown_name_raises_key_error() -> None:
    reg = Registry()
    with pytest.raises(KeyError, match="nope"):
        reg.get("nope")
    assert "nope" not in reg
