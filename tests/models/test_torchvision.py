"""models/torchvision.py: torchvision checkpoints import as networks that compute
torchvision's own function (issue 17).

tests/fixtures/torchvision/<zoo>.json were written by scripts/torchvision_fixtures.py in
a side venv with torchvision: its state_dict layout and its logits for a state_dict
drawn from a seed. Here the same state_dict is drawn again (the checksum proves the
draw is the same under this torch), saved with torch.save as torchvision users do,
imported through POST /api/weights with `zoo`, and the network cnnplay builds from
the entry must give torchvision's logits.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from safetensors.torch import load_file

import models
from models import torchvision as tv
from scripts.torchvision_fixtures import ZOO, checksum, fill_state, fixed_input
from server.config import Settings
from server.net.core.build import build_module
from server.net.core.head import head_classes
from server.net.data import imagenet
from server.net.weights import library as lib
from tests.clients import open_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "torchvision"
TOLERANCE = 1e-5  # max |cnnplay - torchvision| / max |torchvision|
# Over a few seconds each (hundreds of MB of weights, or 600+ layers).
BIG = {
    *(f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")),
    *("resnet101", "resnet152", "densenet161", "densenet201"),
}


@cache
def fixture(zoo: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{zoo}.json").read_text())


def state(zoo: str) -> dict[str, torch.Tensor]:
    return fill_state(fixture(zoo)["keys"], fixture(zoo)["seed"])


@pytest.fixture
def big_client(settings: Settings) -> Any:
    settings.max_weights_bytes = 1 << 30  # VGG-19's checkpoint is 548 MB
    with open_client(settings) as c:
        yield c


def upload(client: TestClient, path: Path, zoo: str, **form: str) -> Any:
    with open(path, "rb") as f:
        return client.post(
            "/api/weights",
            files={"file": (path.name, f, "application/octet-stream")},
            data={"zoo": zoo, **form},
        )


def save_pth(tmp_path: Path, tensors: dict[str, torch.Tensor], name: str = "w.pth") -> Path:
    path = tmp_path / name
    torch.save(tensors, path)
    return path


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).abs().max() / want.abs().max())


def test_every_architecture_has_a_fixture_and_an_import() -> None:
    assert set(ZOO) == set(tv.SUPPORTED) == {p.stem for p in FIXTURES.glob("*.json")}
    assert all(name in models.ZOO for name in tv.SUPPORTED)


@pytest.mark.parametrize("zoo", ZOO)
def test_every_torchvision_key_maps_exactly_once(zoo: str) -> None:
    keys = tv.key_map(zoo, models.get(zoo))
    # torchvision's keys, in its order, each once; onto every cnnplay key, each once
    assert list(keys) == [k for k, _, _ in fixture(zoo)["keys"]]
    with torch.device("meta"):
        ours = build_module(models.get(zoo)).state_dict()
    assert sorted(keys.values()) == sorted(ours)
    shapes = {k: s for k, s, _ in fixture(zoo)["keys"]}
    assert all(list(ours[c].shape) == shapes[t] for t, c in keys.items())


@pytest.mark.parametrize(
    "zoo", [pytest.param(z, marks=pytest.mark.slow) if z in BIG else z for z in ZOO]
)
def test_imported_checkpoint_computes_torchvisions_logits(
    zoo: str, big_client: TestClient, tmp_path: Path
) -> None:
    tensors = state(zoo)
    assert checksum(tensors) == pytest.approx(fixture(zoo)["checksum"], rel=1e-9)
    r = upload(big_client, save_pth(tmp_path, tensors), zoo)
    del tensors
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["zoo"] == zoo and entry["kind"] == "upload"
    entry_path = next(big_client.app.state.settings.data_dir.glob("weights/*.safetensors"))
    module = build_module(lib.find(entry["id"], entry_path.parents[1], None, models.get).spec)
    module.load_state_dict(load_file(str(entry_path)), strict=True)
    with torch.no_grad():
        got = module.eval()(fixed_input())[0]  # (1000,)
    assert relative_error(got, torch.tensor(fixture(zoo)["logits"])) <= TOLERANCE


def test_an_entry_from_torchvision_says_labels_and_preprocessing(
    client: TestClient, tmp_path: Path
) -> None:
    r = upload(client, save_pth(tmp_path, state("resnet18")), "resnet18", title="my resnet")
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["title"] == "my resnet" and entry["spec"]["name"] == "ResNet-18"
    assert entry["labels"] == list(imagenet.class_names()) and entry["labels"][1] == "goldfish"
    want = {"resize": 256, "crop": 224, "mean": list(imagenet.MEAN), "std": list(imagenet.STD)}
    assert entry["preprocess"] == want
    assert client.get(f"/api/weights/{entry['id']}").json()["zoo"] == "resnet18"
    # the download is cnnplay's own file: layer-path keys
    got = client.get(f"/api/weights/{entry['id']}/file")
    assert got.status_code == 200
    path = tmp_path / "got.safetensors"
    path.write_bytes(got.content)
    assert "layers.1.layers.0.body.0.weight" in load_file(str(path))


def test_a_fine_tuned_head_imports_with_its_classes(client: TestClient, tmp_path: Path) -> None:
    tensors = state("resnet18")
    tensors["fc.weight"], tensors["fc.bias"] = tensors["fc.weight"][:5], tensors["fc.bias"][:5]
    r = upload(client, save_pth(tmp_path, tensors), "resnet18")
    assert r.status_code == 201, r.text
    spec = models.get("resnet18").model_validate(r.json()["spec"])
    assert head_classes(spec) == 5 and r.json()["labels"] is None
    head = {
        "classifier.6.weight": torch.empty(3, 4096, device="meta"),
        "classifier.6.bias": torch.empty(3, device="meta"),
    }
    spec, _ = tv.convert("vgg11", {**_vgg_meta(), **head})
    assert head_classes(spec) == 3  # the head inside VGG's classifier sequential


def _vgg_meta() -> dict[str, torch.Tensor]:
    """VGG-11's tensors without values (meta): convert checks keys and shapes only."""
    return {k: torch.empty(s, device="meta") for k, s, _ in fixture("vgg11")["keys"]}


def test_googlenet_aux_classifiers_are_dropped() -> None:
    tensors = state("googlenet")
    aux = {"aux1.conv.conv.weight": torch.zeros(128, 512, 1, 1), "aux2.fc2.bias": torch.zeros(9)}
    _, ours = tv.convert("googlenet", {**tensors, **aux})
    _, plain = tv.convert("googlenet", tensors)
    assert ours.keys() == plain.keys()


def test_old_style_densenet_keys_are_read_as_torchvision_reads_them() -> None:
    """`denselayer1.norm.1.weight` (checkpoints before torchvision 0.3, like the official
    DenseNet files) is `denselayer1.norm1.weight`; their batch norms have no counter."""
    tensors = state("densenet121")
    old = {}
    for key, value in tensors.items():
        if key.endswith("num_batches_tracked"):
            continue
        for part in ("norm1", "norm2", "conv1", "conv2"):
            if ".denselayer" in key and f".{part}." in key:
                key = key.replace(f".{part}.", f".{part[:-1]}.{part[-1]}.")
        old[key] = value
    assert "features.denseblock1.denselayer1.norm.1.weight" in old
    spec, got = tv.convert("densenet121", old)
    _, want = tv.convert("densenet121", tensors)
    assert got.keys() == want.keys()
    assert all(torch.equal(got[k], want[k]) for k in want)


def test_bad_checkpoints_name_the_first_bad_key(client: TestClient, tmp_path: Path) -> None:
    tensors = state("resnet18")
    del tensors["layer1.0.conv1.weight"], tensors["layer2.0.bn1.bias"]
    tensors["layer9.weight"] = torch.zeros(1)
    tensors["layer3.0.conv2.weight"] = torch.zeros(256, 256, 1, 1)
    r = upload(client, save_pth(tmp_path, tensors), "resnet18")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "layer1.0.conv1.weight: missing from the file (expected [64, 64, 3, 3]) (and 1" in detail
    assert "layer9.weight: in the file but not in torchvision's resnet18" in detail
    assert "layer3.0.conv2.weight: shape [256, 256, 1, 1] in the file, [256, 256, 3, 3]" in detail
    # resnet18's file is not a resnet34
    r = upload(client, save_pth(tmp_path, state("resnet18")), "resnet34")
    assert r.status_code == 422 and "layer1.2.conv1.weight: missing" in r.json()["detail"]
    assert not list((client.app.state.settings.data_dir / "weights").iterdir())


def test_zoo_and_spec_fields_are_checked(client: TestClient, tmp_path: Path) -> None:
    path = save_pth(tmp_path, state("alexnet"))
    r = upload(client, path, "lenet5_mnist")
    assert r.status_code == 422 and r.json()["detail"].startswith("zoo: 'lenet5_mnist'")
    r = upload(client, path, "alexnet", spec=models.get("alexnet").model_dump_json())
    assert r.status_code == 422 and r.json()["detail"].startswith("spec, zoo:")
    with open(path, "rb") as f:
        r = client.post("/api/weights", files={"file": ("w.pth", f)})
    assert r.status_code == 422 and r.json()["detail"].startswith("spec, zoo:")


def test_pickles_that_run_code_are_refused(client: TestClient, tmp_path: Path) -> None:
    from tests.net.weights.test_library import Boom

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"conv1.weight": Boom(marker)}, path)
    r = upload(client, path, "resnet18")
    assert r.status_code == 422 and "weights_only" in r.json()["detail"]
    assert not marker.exists()


def test_safetensors_with_torchvision_keys_import_too(client: TestClient, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    path = tmp_path / "alexnet.safetensors"
    save_file(state("alexnet"), str(path))
    r = upload(client, path, "alexnet")
    assert r.status_code == 201, r.text
    assert r.json()["spec"]["layers"][0]["name"] == "features"
