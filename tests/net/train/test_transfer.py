"""Transfer learning: freezing by path, partial loading, per-group lrs, the comparison."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

import models
from models.layers import bn, conv, flatten, linear, network, relu, stage
from server.net.core.build import build_module
from server.net.core.head import head_path, with_head
from server.net.core.spec import NetworkSpec
from server.net.data import datasets
from server.net.train import transfer
from server.net.train.loop import TrainConfig, make_optimizer, train
from server.net.weights import files as weights

SMALL = dict(dataset="mnist", batch_size=32, epochs=2, train_limit=128, seed=0)


def bn_spec():
    """(1,8,8) -> conv+bn (4,8,8) -> flatten (256,) -> linear 10."""
    return network(
        "BN net", (1, 8, 8), [conv(4, 3, padding=1), bn(), relu(), flatten(), linear(10)]
    )


def test_frozen_tensors_and_bn_stats_do_not_move() -> None:
    spec = bn_spec()
    torch.manual_seed(0)  # train() seeds with config.seed = 0: the same initial weights
    before = build_module(spec).state_dict()
    result = train(spec, TrainConfig(frozen=["layers.0", "layers.1"], **SMALL), lambda e: None)
    assert result.status == "done" and result.module is not None
    after = result.module.state_dict()
    frozen_keys = [k for k in after if k.startswith(("layers.0.", "layers.1."))]
    # conv weight/bias, bn weight/bias, running_mean/var, num_batches_tracked
    assert len(frozen_keys) == 7
    for key in frozen_keys:
        assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before["layers.4.weight"], after["layers.4.weight"])


def test_unfrozen_bn_stats_do_move() -> None:
    spec = bn_spec()
    torch.manual_seed(0)
    before = build_module(spec).state_dict()
    result = train(spec, TrainConfig(frozen=["layers.0"], **SMALL), lambda e: None)
    assert not torch.equal(
        before["layers.1.running_mean"], result.module.state_dict()["layers.1.running_mean"]
    )


def test_optimizer_holds_only_trainable_params() -> None:
    module = build_module(bn_spec())
    transfer.freeze(module, ["layers.0"])
    groups = transfer.param_groups(module, {"layers.1.weight"}, 1e-2, 1e-4)
    opt = make_optimizer(module, TrainConfig(), groups)
    held = {id(p) for g in opt.param_groups for p in g["params"]}
    trainable = {id(p) for p in module.parameters() if p.requires_grad}
    assert held == trainable and id(module.layers[0].weight) not in held
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 1e-4]  # new, pretrained
    assert opt.param_groups[1]["params"] == [module.layers[1].weight]


def test_unknown_frozen_path_is_named() -> None:
    with pytest.raises(transfer.FrozenPathError, match="layers.9"):
        train(bn_spec(), TrainConfig(frozen=["layers.9"], **SMALL), lambda e: None)


def test_everything_frozen_is_refused() -> None:
    paths = [f"layers.{i}" for i in range(5)]
    with pytest.raises(ValueError, match="nothing would train"):
        train(bn_spec(), TrainConfig(frozen=paths, **SMALL), lambda e: None)


def test_new_head_stays_fresh_and_the_rest_loads() -> None:
    spec = with_head(models.get("mnist_cnn"), 3)
    torch.manual_seed(1)
    module = build_module(spec)
    head_before = module.layers[10].weight.detach().clone()
    loaded = transfer.load_pretrained(module, "mnist_cnn_digits04")
    assert "layers.10.weight" not in loaded and "layers.0.weight" in loaded
    assert torch.equal(module.layers[10].weight, head_before)
    file = weights.load(
        with_head(models.get("mnist_cnn"), 5), transfer.pretrained_file("mnist_cnn_digits04")
    )
    assert torch.equal(module.layers[0].weight, file.layers[0].weight)


def test_same_size_head_loads_when_asked() -> None:
    module = build_module(with_head(models.get("mnist_cnn"), 5))
    loaded = transfer.load_pretrained(module, "mnist_cnn_digits04", new_head=False)
    assert "layers.10.weight" in loaded


def test_mismatched_file_names_the_key(tmp_path) -> None:
    module = build_module(with_head(models.get("mnist_cnn"), 5))
    state = {k: v.clone() for k, v in module.state_dict().items()}
    state["layers.3.weight"] = torch.zeros(8, 16, 3, 3)  # not the (32,16,3,3) of the net
    with pytest.raises(weights.WeightsMismatch, match=r"layers\.3\.weight"):
        transfer.load_partial(build_module(with_head(models.get("mnist_cnn"), 5)), state)
    del state["layers.3.weight"]
    path = tmp_path / "bad.safetensors"
    save_file(state, str(path))
    with pytest.raises(weights.WeightsMismatch, match=r"layers\.3\.weight: missing"):
        transfer.load_partial(module, load_file(str(path)))


def test_unknown_pretrained_name() -> None:
    with pytest.raises(transfer.PretrainedError, match="nope"):
        transfer.pretrained_file("nope")


def test_pretrained_lr_group_used_in_training() -> None:
    spec = with_head(models.get("mnist_cnn"), 5)
    config = TrainConfig(
        dataset="mnist",
        classes=[5, 6, 7, 8, 9],
        per_class=5,
        batch_size=25,
        epochs=1,
        init_from="mnist_cnn_digits04",
        frozen=["layers.0"],
        pretrained_lr=1e-9,
        lr=1e-2,
    )
    result = train(spec, config, lambda e: None)
    file = weights.load(spec, transfer.pretrained_file("mnist_cnn_digits04"))
    # layers.3 is pretrained, unfrozen, at lr 1e-9: it barely moves; the head moves a lot
    delta = (result.module.layers[3].weight - file.layers[3].weight).detach().abs().max()
    assert 0 < float(delta) < 1e-6
    assert torch.equal(result.module.layers[0].weight, file.layers[0].weight)


def test_feature_extractor_paths_stop_at_flatten() -> None:
    paths = transfer.feature_extractor_paths(models.get("mnist_cnn"))
    assert paths == [f"layers.{i}" for i in range(7)]
    assert isinstance(build_module(models.get("mnist_cnn")).layers[6], nn.Flatten)


# Class subsets and per-class caps (server/net/data/datasets.py, used by transfer runs).


def test_classes_are_kept_and_relabelled_in_order() -> None:
    full = datasets.load("mnist", 28, 28)
    sub = datasets.load("mnist", 28, 28, classes=[7, 5])
    assert sub.num_classes == 2
    assert set(sub.y_train.tolist()) == {0, 1} and set(sub.y_val.tolist()) == {0, 1}
    assert int((sub.y_train == 0).sum()) == int((full.y_train == 7).sum())
    assert int((sub.y_val == 1).sum()) == int((full.y_val == 5).sum())
    assert torch.equal(sub.x_val[sub.y_val == 0], full.x_val[full.y_val == 7])


def test_per_class_cap_is_stratified_and_seeded() -> None:
    a = datasets.load("mnist", 28, 28, classes=[5, 6, 7, 8, 9], per_class=50, seed=3)
    b = datasets.load("mnist", 28, 28, classes=[5, 6, 7, 8, 9], per_class=50, seed=3)
    c = datasets.load("mnist", 28, 28, classes=[5, 6, 7, 8, 9], per_class=50, seed=4)
    assert torch.bincount(a.y_train).tolist() == [50] * 5
    assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.x_train, c.x_train)
    assert len(a.y_val) > 900  # the held-out part is filtered by class, not capped


def test_bad_classes_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        TrainConfig(classes=[1, 1])
    with pytest.raises(ValueError, match=r"\[12\]"):
        datasets.load("digits", 8, 8, classes=[1, 12])


# The default of "fine-tune the later layers", and each mode's config.


def test_first_stage_is_conv_to_first_pool_or_block() -> None:
    assert transfer.first_stage_paths(models.get("mnist_cnn")) == [
        "layers.0",
        "layers.1",
        "layers.2",
    ]
    # tiny_resnet: conv, bn, relu (stem), residual block, relu
    assert transfer.first_stage_paths(models.get("tiny_resnet")) == [
        f"layers.{i}" for i in range(5)
    ]
    assert transfer.first_stage_paths(models.get("mlp")) == []
    assert transfer.first_stage_paths(bn_spec()) == ["layers.0"]  # no pooling: the conv


def test_mode_configs() -> None:
    spec = with_head(models.get("tiny_resnet"), 5)
    src = "tiny_resnet_digits04"
    frozen = transfer.mode_config("frozen", spec, src, 0.01)
    assert frozen["frozen"] == [f"layers.{i}" for i in range(11)]  # through the flatten
    assert transfer.mode_config("later", spec, src, 0.01)["frozen"][-1] == "layers.4"
    assert transfer.mode_config("all", spec, src, 0.01) == {"init_from": src, "pretrained_lr": 1e-3}
    with pytest.raises(ValueError, match="'some'"):
        transfer.mode_config("some", spec, src, 0.01)


def test_tiny_resnet_weights_load_with_a_new_head() -> None:
    module = build_module(with_head(models.get("tiny_resnet"), 4))
    loaded = transfer.load_pretrained(module, "tiny_resnet_digits04")
    assert "layers.11.weight" not in loaded and "layers.3.body.1.running_mean" in loaded
    assert module.layers[11].out_features == 4


# Paths that agree with head.head_path (issue 12), and the weights of any library entry.


def test_extractor_and_first_stage_of_the_zoo_agree_with_the_head() -> None:
    resnet = models.get("resnet18")
    assert transfer.feature_extractor_paths(resnet) == [f"layers.{i}" for i in range(7)]
    assert transfer.first_stage_paths(resnet) == [f"layers.0.layers.{i}" for i in range(4)]
    # VGG: features, pool, flatten; the classifier (and its head) trains.
    vgg = transfer.feature_extractor_paths(models.get("vgg11"))
    assert vgg == ["layers.0", "layers.1", "layers.2"]
    assert transfer.first_stage_paths(models.get("vgg11"))[-1].startswith("layers.0.layers.")
    for name in ("resnet18", "vgg11", "alexnet", "googlenet", "densenet121", "mnist_cnn"):
        spec = models.get(name)
        head = head_path(spec)
        for path in transfer.feature_extractor_paths(spec) + transfer.first_stage_paths(spec):
            assert not (head == path or head.startswith(path + ".")), (name, path)
    # No flatten, the head inside a trailing sequential: everything before the head.
    tail = stage("c", [flatten(), linear(3)])
    spec = network("seq head", (1, 4, 4), [conv(2, 3, padding=1), tail])
    assert transfer.feature_extractor_paths(spec) == ["layers.0", "layers.1.layers.0"]
    spec = network("no flatten", (1, 1, 1), [stage("c", [linear(4), relu(), linear(3)])])
    assert transfer.feature_extractor_paths(spec) == ["layers.0.layers.0", "layers.0.layers.1"]


def test_check_fits_reads_only_the_header_and_names_the_key(tmp_path) -> None:
    spec = with_head(models.get("mnist_cnn"), 5)
    path = transfer.pretrained_file("mnist_cnn_digits04")
    transfer.check_fits(with_head(spec, 3), path, new_head=True)  # another head is fine
    data = spec.model_dump(mode="json")
    data["layers"][0]["out_channels"] = 9
    bad = NetworkSpec.model_validate(data)
    with pytest.raises(weights.WeightsMismatch, match=r"layers\.0\.weight: shape"):
        transfer.check_fits(bad, path, new_head=True)


def test_init_weights_by_path_or_bytes_equal_the_shipped_name() -> None:
    spec = with_head(models.get("mnist_cnn"), 5)
    path = transfer.pretrained_file("mnist_cnn_digits04")
    config = TrainConfig(dataset="mnist", classes=[5, 6, 7, 8, 9], per_class=5, epochs=1,
                         batch_size=25, init_from="mnist_cnn_digits04")  # fmt: skip
    by_name = train(spec, config, lambda e: None).module.state_dict()
    for source in (path, path.read_bytes()):
        got = train(spec, config, lambda e: None, init_weights=source).module.state_dict()
        for key, value in by_name.items():
            assert torch.equal(got[key], value), key
