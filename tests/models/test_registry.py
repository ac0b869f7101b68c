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


def test_names_are_case_insensitive_and_keep_their_spelling() -> None:
    reg = Registry()
    reg.register("TinyNet", "Tiny", "first", models.small.mlp, "small")
    assert reg.entry("tinynet").name == "TinyNet"
    assert reg.get("TINYNET") == models.small.mlp()
    assert "tinyNET" in reg
    assert 3 not in reg
    with pytest.raises(ValueError, match=r"'tinynet' is already registered \(as 'TinyNet'\)"):
        reg.register("tinynet", "Tiny 2", "second", models.small.mnist_cnn, "small")
    assert [e.description for e in reg.entries()] == ["first"]


def test_the_global_zoo_finds_mixed_case_names_and_refuses_them_as_duplicates() -> None:
    assert models.entry("ResNet18").name == "resnet18"
    assert models.get("ResNet18") == models.get("resnet18")
    with pytest.raises(ValueError, match="already registered"):
        models.ZOO.register("ResNet50", "x", "y", models.small.mlp, "classic")


def test_an_unknown_name_lists_the_known_ones_as_registered() -> None:
    reg = Registry()
    reg.register("Bravo", "B", "b", models.small.mlp, "small")
    reg.register("alpha", "A", "a", models.small.mlp, "small")
    with pytest.raises(KeyError, match="known: alpha, Bravo"):
        reg.entry("charlie")
