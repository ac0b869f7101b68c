"""build_module: layer paths are module names; limits refuse before allocating."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from server.net.core.build import BUILDERS, TooLarge, build_module, check_limits
from server.net.core.shapes import LEAF_RULES, ShapeError, infer
from server.net.core.spec import LEAF_TYPES, NetworkSpec
from tests.net.core.test_shapes import check_against_torch, spec_of

BLOCK = {"type": "residual", "body": [{"type": "conv2d", "out_channels": 2, "kernel_size": 1}]}


def test_every_leaf_type_has_a_builder_and_a_rule() -> None:
    names = {m.model_fields["type"].default for m in LEAF_TYPES}
    assert set(BUILDERS) == names == set(LEAF_RULES)


def test_module_names_are_the_layer_paths() -> None:
    spec = spec_of([{"type": "sequential", "layers": [BLOCK]}, {"type": "flatten"}], (2, 4, 4))
    names = {n for n, _ in build_module(spec).named_modules()}
    assert {"layers.0", "layers.0.layers.0", "layers.0.layers.0.body.0", "layers.1"} <= names
    check_against_torch(spec)


def test_impossible_shapes_raise_shape_error() -> None:
    spec = spec_of(
        [{"type": "flatten"}, {"type": "conv2d", "out_channels": 2, "kernel_size": 1}], (1, 4, 4)
    )
    with pytest.raises(ShapeError) as info:
        build_module(spec)
    assert info.value.path == "layers.1"


def test_limits_refuse_before_allocating() -> None:
    big = NetworkSpec.model_validate(
        {
            "input": {"channels": 65536, "height": 4, "width": 4},
            "layers": [{"type": "conv2d", "out_channels": 65536, "kernel_size": 3}],
        }
    )
    with pytest.raises(TooLarge, match="CNNPLAY_MAX_PARAMS"):
        build_module(big, max_params=1_000_000)
    wide = spec_of([{"type": "conv2d", "out_channels": 64, "kernel_size": 1}], (1, 512, 512))
    with pytest.raises(TooLarge, match="CNNPLAY_MAX_ACTIVATION_BYTES"):
        build_module(wide, max_activation_bytes=1 << 20)
    check_limits(infer(wide), max_params=None, max_activation_bytes=None)  # no limit: fine


def test_relu_is_not_inplace_and_softmax_sums_to_one() -> None:
    spec = spec_of([{"type": "flatten"}, {"type": "relu"}, {"type": "softmax"}], (1, 3, 3))
    module = build_module(spec)
    relu = dict(module.named_modules())["layers.1"]
    assert isinstance(relu, nn.ReLU) and not relu.inplace
    out = module(torch.randn(2, 1, 3, 3))
    assert torch.allclose(out.sum(dim=1), torch.ones(2))
