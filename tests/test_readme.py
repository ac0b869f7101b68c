"""The README's set-up commands and NetworkSpec section say what the code does (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from server.net.core import spec as S
from server.net.core.build import build_module
from server.net.core.shapes import infer

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match is not None, title
    return match.group(1)


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_setup_is_two_commands_the_first_in_a_virtual_environment() -> None:
    commands = _blocks(_section("Set up on a fresh machine"), "bash")
    assert commands == [
        "python3 -m venv .venv && . .venv/bin/activate && python3 -m pip install -e . "
        "&& cnnplay serve\n",
        "bash .ci/run\n",
    ]


def test_the_networkspec_example_works_as_the_readme_says() -> None:
    section = _section("NetworkSpec")
    (example,) = _blocks(section, "json")
    spec = S.NetworkSpec.model_validate_json(example)
    report = infer(spec)
    assert report.valid and report.output_shape == [10]
    assert f"{report.total_params:,} parameters" in section
    module = build_module(spec)  # and PyTorch agrees
    assert sum(p.numel() for p in module.parameters()) == report.total_params
    assert module(torch.zeros(2, *spec.input.shape)).shape == (2, 10)
    first_residual = next(x for x in spec.layers if isinstance(x, S.Residual))
    assert f"`layers.{spec.layers.index(first_residual)}.body.0`" in section


def test_the_networkspec_section_names_every_layer_type() -> None:
    section = _section("NetworkSpec")

    def named(prefix: str) -> list[str]:
        line = re.search(rf"^- {prefix}(.*?)(?=^- |\n\n)", section, re.S | re.M)
        assert line is not None, prefix
        return re.findall(r"`([a-z0-9_]+)`", line.group(1))

    def kind(model: type) -> str:
        return model.model_fields["type"].default

    assert named("Layers:") == [kind(t) for t in S.LEAF_TYPES]
    assert [n for n in named("Blocks") if n in {kind(t) for t in S.BLOCK_TYPES}] == [
        kind(t) for t in S.BLOCK_TYPES
    ]
