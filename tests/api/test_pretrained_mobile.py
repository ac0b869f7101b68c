"""The official ImageNet weights of the mobile networks (issue 16) through the download
path: a checkpoint under torchvision's keys, drawn like the recorded fixtures
(tests/fixtures/torchvision/), served by a local fake server under its manifest line,
checked like torch.hub, read, converted by models.torchvision and opened from the
library: the entry computes torchvision's recorded logits."""

from __future__ import annotations

import pytest
import torch
from fastapi.testclient import TestClient

import models
from models import torchvision
from scripts.torchvision_fixtures import fixed_input
from server.config import Settings
from server.net.weights import files
from server.net.weights import library as lib
from server.net.weights.official import read_manifest
from server.net.weights.torch_files import read_state_dict
from tests.api.test_pretrained import _no_run, wait_ready
from tests.api.test_pretrained import web as web  # noqa: F401 - the fake server fixture
from tests.models.test_torchvision import TOLERANCE, fixture, relative_error, state
from tests.net.data.test_stream import RangeServer
from tests.net.weights.test_pretrained import official, pth

MOBILE = ["mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"]


def test_the_manifest_has_torchvisions_files_for_them() -> None:
    facts = read_manifest()
    want = {
        "mobilenet_v2": ("mobilenet_v2-b0353104.pth", 3_504_872),
        "mobilenet_v3_small": ("mobilenet_v3_small-047dcff4.pth", 2_542_856),
        "efficientnet_b0": ("efficientnet_b0_rwightman-7f5810bc.pth", 5_288_548),
    }
    for zoo, (file_name, params) in want.items():
        assert (facts[zoo].file_name, facts[zoo].num_params) == (file_name, params)


@pytest.mark.parametrize("zoo", MOBILE)
def test_official_weights_download_and_compute_torchvisions_logits(
    zoo: str,
    client: TestClient,
    web: RangeServer,
    settings: Settings,  # noqa: F811
) -> None:
    from server.api.pretrained import downloads_for

    manager = downloads_for(client.app.state.settings)
    fake = official(web, zoo, pth(state(zoo)))
    real = manager.manifest[zoo]
    manager.manifest[zoo] = type(real)(**{**vars(real), **{
        k: getattr(fake, k) for k in ("file_name", "url", "sha256_prefix", "bytes")}})  # fmt: skip
    manager.convert, manager.read, manager.base_url = torchvision.convert, read_state_dict, web.url
    client.app.state.pretrained = manager
    name = f"imagenet-{zoo}"
    assert client.post(f"/api/pretrained/{name}/download").status_code == 202
    item = wait_ready(client, name, timeout=120)
    assert item["status"] == "ready", item["error"]
    entry = client.get(f"/api/weights/{name}").json()
    assert entry["zoo"] == zoo and entry["kind"] == "imagenet"
    assert entry["accuracy"] == pytest.approx(real.acc1 / 100) and len(entry["labels"]) == 1000
    opened = lib.find(name, settings.data_dir, _no_run, models.get)
    module = files.load(opened.spec, opened.path).eval()
    with torch.no_grad():
        got = module(fixed_input())[0]
    assert relative_error(got, torch.tensor(fixture(zoo)["logits"])) <= TOLERANCE
