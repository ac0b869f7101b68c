"""Every zoo entry: valid spec, shapes that torch agrees with, and torchvision's counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import models
from server.net.core.build import build_module
from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec

# torchvision's reference implementations, sum(p.numel() for p in model.parameters()).
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "vgg11": 132_863_336,
    "vgg11_bn": 132_868_840,
    "vgg13": 133_047_848,
    "vgg13_bn": 133_053_736,
    "vgg16": 138_357_544,
    "vgg16_bn": 138_365_992,
    "vgg19": 143_667_240,
    "vgg19_bn": 143_678_248,
    "alexnet": 61_100_840,
    "googlenet": 6_624_904,
    "densenet121": 7_978_856,
    "densenet161": 28_681_000,
    "densenet169": 14_149_480,
    "densenet201": 20_013_928,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_small": 2_542_856,
    "efficientnet_b0": 5_288_548,
    "lenet5": 61_706,
    "lenet5_mnist": 61_706,
}
NAMES = [e.name for e in models.entries()]
SMALL = [e.name for e in models.entries() if e.category == "small"]
CLASSIC = [e.name for e in models.entries() if e.category == "classic"]


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_the_zoo_lists_small_and_classic_nets() -> None:
    assert set(SMALL) == {
        "mnist_cnn",
        "mlp",
        "tiny_resnet",
        "tiny_inception",
        "tiny_densenet",
        "rnn_mnist_lstm",
        "rnn_mnist_gru",
        "unet_small",
    }
    assert set(TORCHVISION_PARAMS) == set(CLASSIC)
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("name", NAMES)
def test_entry_validates_and_round_trips_through_json(name: str) -> None:
    spec = models.get(name)
    again = NetworkSpec.model_validate_json(spec.model_dump_json())
    assert again == spec
    entry = models.entry(name)
    assert entry.title and len(entry.description) > 40
    assert entry.category in ("small", "classic")


@pytest.mark.parametrize("name", CLASSIC)
def test_classic_counts_equal_torchvision_and_the_built_module(name: str) -> None:
    spec = models.get(name)
    report = infer(spec)
    assert report.valid, report.error
    assert report.total_params == TORCHVISION_PARAMS[name]
    # Meta tensors: the real graph and parameter shapes, without allocating 500 MB.
    with torch.device("meta"):
        module = build_module(spec)
        out = module(torch.empty(1, *report.input_shape))
    assert count(module) == TORCHVISION_PARAMS[name]
    assert tuple(out.shape[1:]) == tuple(report.output_shape)
    expected_classes = 10 if name.startswith("lenet") else 1000
    assert report.output_shape == [expected_classes]


def _check_every_layer_shape(spec: NetworkSpec) -> torch.Tensor:
    """Run a real batch of 2 and compare each layer's output with shapes.infer."""
    report = infer(spec)
    assert report.valid, report.error
    module = build_module(spec).eval()
    wanted = {row.path: tuple(row.output_shape) for row in report.layers}
    seen: dict[str, tuple[int, ...]] = {}
    handles = [
        m.register_forward_hook(
            lambda _m, _i, out, path=path: seen.__setitem__(path, tuple(out.shape[1:]))
        )
        for path, m in module.named_modules()
        if path in wanted
    ]
    try:
        with torch.no_grad():
            out = module(torch.randn(2, *report.input_shape))
    finally:
        for h in handles:
            h.remove()
    assert seen == wanted
    assert count(module) == report.total_params
    return out


@pytest.mark.parametrize("name", SMALL)
def test_small_net_runs_and_matches_inferred_shapes(name: str) -> None:
    out = _check_every_layer_shape(models.get(name))
    segments = models.entry(name).task == "segmentation"  # (K, H, W) maps (issue 16)
    assert out.shape == ((2, 5, 64, 64) if segments else (2, 10))
    assert torch.isfinite(out).all()
    # Small enough to train in seconds on a CPU.
    assert infer(models.get(name)).total_params < 200_000


@pytest.mark.parametrize("name", ["resnet18", "lenet5", "lenet5_mnist"])
def test_classic_forward_on_cpu_matches_inferred_shapes(name: str) -> None:
    out = _check_every_layer_shape(models.get(name))
    assert out.shape[0] == 2 and torch.isfinite(out).all()


def test_mnist_cnn_layout_is_the_one_the_shipped_weights_use() -> None:
    module = build_module(models.get("mnist_cnn"))
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    assert shapes == {
        "layers.0.weight": (16, 1, 3, 3),
        "layers.0.bias": (16,),
        "layers.3.weight": (32, 16, 3, 3),
        "layers.3.bias": (32,),
        "layers.8.weight": (64, 1568),
        "layers.8.bias": (64,),
        "layers.10.weight": (10, 64),
        "layers.10.bias": (10,),
    }
    assert count(module) == 105_866
    assert [layer.type for layer in models.get("mnist_cnn").layers] == [
        "conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d",
        "flatten", "dropout", "linear", "relu", "linear",
    ]  # fmt: skip


def test_resnet50_is_v1_5_striding_on_the_3x3() -> None:
    first_of_layer2 = models.get("resnet50").layers[2].layers[0]
    convs = [layer for layer in first_of_layer2.body if layer.type == "conv2d"]
    assert [(c.kernel_size, c.stride) for c in convs] == [(1, 1), (3, 2), (1, 1)]
    assert [layer.type for layer in first_of_layer2.shortcut] == ["conv2d", "batchnorm2d"]


def test_googlenet_follows_torchvision_quirks() -> None:
    spec = models.get("googlenet")
    module = spec.layers[1]
    assert module.type == "parallel" and len(module.branches) == 4
    assert module.branches[2][3].kernel_size == 3  # the "5x5" branch is 3x3 in torchvision
    pools = [layer for layer in spec.layers if layer.type == "maxpool2d"]
    assert pools and all(p.ceil_mode for p in pools)
    assert all(layer.eps == 0.001 for layer in spec.layers[0].layers if layer.type == "batchnorm2d")


def test_lenet_description_tells_the_history() -> None:
    text = models.entry("lenet5").description
    assert "tanh" in text and "subsampling" in text


def test_unknown_name_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="nosuchnet"):
        models.get("nosuchnet")
