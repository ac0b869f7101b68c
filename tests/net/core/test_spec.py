"""NetworkSpec: validation bounds, defaults, paths of nested blocks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.net.core.build import build_module
from server.net.core.spec import (
    MAX_UNITS,
    NetworkSpec,
    ReLU,
    Residual,
    Sequential,
    children,
    count_layers,
    layer_paths,
    measure,
    nesting_depth,
)


def test_lenet_spec_parses_with_torch_defaults() -> None:
    spec = NetworkSpec.model_validate(
        {"layers": [{"type": "conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}]}
    )
    conv = spec.layers[0]
    assert (conv.stride, conv.dilation, conv.groups, conv.bias) == (1, 1, 1, True)
    assert spec.input.shape == (1, 28, 28)


@pytest.mark.parametrize(
    "layer",
    [
        {"type": "conv2d", "out_channels": MAX_UNITS + 1, "kernel_size": 3},
        {"type": "conv2d", "out_channels": 3, "kernel_size": 3.0},
        {"type": "conv2d", "out_channels": 3, "kernel_size": [3, 3, 3]},
        {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": "full"},
        {"type": "relu", "inplace": True},
        {"type": "dropout", "p": 1.0},
        {"type": "linear", "out_features": True},
    ],
)
def test_bad_layers_are_refused(layer: dict) -> None:
    with pytest.raises(ValidationError):
        NetworkSpec.model_validate({"layers": [layer]})


def test_counting_and_depth_of_nested_blocks() -> None:
    spec = NetworkSpec.model_validate(
        {
            "layers": [
                {
                    "type": "sequential",
                    "layers": [{"type": "residual", "body": [{"type": "relu"}]}],
                },
                {"type": "parallel", "branches": [[{"type": "relu"}], []]},
            ]
        }
    )
    assert count_layers(spec.layers) == 5
    assert nesting_depth(spec.layers) == 3
    assert [seg for seg, _ in children(spec.layers[1])] == ["branches.0", "branches.1"]
    assert measure(spec.layers) == (5, 3)
    assert measure([]) == (0, 0)
    assert measure([Residual()]) == (1, 1)  # an empty block is one level


def test_measure_walks_any_depth_without_recursion() -> None:
    # model_construct skips validation (whose own limit is tested in tests/api).
    layers: list = [ReLU()]
    for _ in range(10_000):
        layers = [Sequential.model_construct(layers=layers)]
    assert measure(layers) == (10_001, 10_001)


def test_layer_paths_name_every_nested_layer() -> None:
    spec = NetworkSpec.model_validate(
        {
            "input": {"channels": 1, "height": 8, "width": 8},
            "layers": [
                {"type": "conv2d", "out_channels": 2, "kernel_size": 3},
                {"type": "residual", "body": [{"type": "relu"}, {"type": "identity"}]},
                {"type": "parallel", "branches": [[{"type": "relu"}], [{"type": "sequential",
                 "layers": [{"type": "tanh"}]}]]},
            ],
        }
    )  # fmt: skip
    assert layer_paths(spec.layers) == {
        "layers.0", "layers.1", "layers.1.body.0", "layers.1.body.1",
        "layers.2", "layers.2.branches.0.0", "layers.2.branches.1.0",
        "layers.2.branches.1.0.layers.0",
    }  # fmt: skip
    built = {name for name, _ in build_module(spec).named_modules()}
    assert layer_paths(spec.layers) <= built  # the module names build_module gives them
