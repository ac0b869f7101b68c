"""The official ImageNet weights' manifest: torchvision's facts, checked against the zoo."""

from __future__ import annotations

import re

import models
from server.net.core.shapes import infer
from server.net.data import imagenet
from server.net.weights import official


def test_manifest_records_torchvisions_files_for_every_zoo_architecture() -> None:
    facts = official.read_manifest()
    want = ["alexnet", "googlenet"] + [f"vgg{d}{b}" for d in (11, 13, 16, 19) for b in ("", "_bn")]
    want += [f"resnet{d}" for d in (18, 34, 50, 101, 152)]
    want += [f"densenet{d}" for d in (121, 161, 169, 201)]
    want += ["mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"]
    assert sorted(facts) == sorted(want)
    for zoo, o in facts.items():
        assert o.zoo == zoo and o.weights == "IMAGENET1K_V1"
        # torch.hub's HASH_REGEX takes the prefix from the file name
        hashed = re.search(r"-([a-f0-9]*)\.", o.file_name)
        assert hashed is not None and hashed.group(1) == o.sha256_prefix
        assert (
            len(o.sha256_prefix) >= 8
            and o.url == "https://download.pytorch.org/models/" + o.file_name
        )
        assert o.num_params == infer(models.get(zoo)).total_params, zoo
        assert 4 * o.num_params < o.bytes  # float32 and a little (BN statistics, pickle)
        if zoo != "googlenet":  # its file also holds the auxiliary classifiers, dropped
            assert o.bytes < 4 * o.num_params * 1.05
        assert 50 < o.acc1 < o.acc5 < 100
    assert facts["resnet18"].file_name == "resnet18-f37072fd.pth"
    assert facts["resnet18"].acc1 == 69.758
    assert facts["vgg16"].bytes > 500_000_000  # past any upload limit (issue 17)


def test_googlenet_preprocessing_folds_transform_input() -> None:
    assert official.preprocess("resnet18") == {
        "resize": 256,
        "crop": 224,
        "mean": list(imagenet.MEAN),
        "std": list(imagenet.STD),
    }
    g = official.preprocess("googlenet")
    assert g["mean"] == g["std"] == [0.5, 0.5, 0.5]
