"""server/api/export.py: PyTorch source and ONNX downloads, and their 4xx answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import onnx
import pytest
import torch
from fastapi.testclient import TestClient

from models.layers import conv, flatten, linear, network, relu
from server.config import Settings
from tests.clients import open_client

SPEC: dict[str, Any] = network(
    "Tiny net", (1, 12, 12), [conv(4, 3), relu(), flatten(), linear(3)]
).model_dump(mode="json")
PARAMS = 4 * 9 + 4 + 400 * 3 + 3  # 1243
TOO_WIDE = {"type": "conv2d", "out_channels": 2, "kernel_size": 20}  # 20 > 12 pixels
BAD = {**SPEC, "layers": [{"type": "relu"}, TOO_WIDE]}


def test_pytorch_download(client: TestClient) -> None:
    r = client.post("/api/export/pytorch", json=SPEC)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/x-python")
    assert r.headers["content-disposition"] == 'attachment; filename="Tiny_net.py"'
    assert "class TinyNet(nn.Module):" in r.text
    assert f"Parameters: {PARAMS:,}" in r.text
    compile(r.text, "Tiny_net.py", "exec")


def test_onnx_download(client: TestClient) -> None:
    r = client.post("/api/export/onnx", json=SPEC)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == 'attachment; filename="Tiny_net.onnx"'
    model = onnx.load_from_string(r.content)
    onnx.checker.check_model(model)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims[1:]] == [1, 12, 12]


@pytest.mark.parametrize("kind", ["pytorch", "onnx"])
def test_invalid_shapes_are_422_naming_the_layer(client: TestClient, kind: str) -> None:
    r = client.post(f"/api/export/{kind}", json=BAD)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("layers.1:")


@pytest.mark.parametrize("kind", ["pytorch", "onnx"])
def test_not_a_spec_is_422(client: TestClient, kind: str) -> None:
    r = client.post(f"/api/export/{kind}", json={"layers": [{"type": "nope"}]})
    assert r.status_code == 422


@pytest.fixture
def tight_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(warm_workers=0, data_dir=tmp_path / "data", max_params=1000, max_layers=3)
    with open_client(settings) as c:
        yield c


@pytest.mark.parametrize("kind", ["pytorch", "onnx"])
def test_limits_are_named(tight_client: TestClient, kind: str) -> None:
    r = tight_client.post(f"/api/export/{kind}", json=SPEC)  # 4 layers, limit 3
    assert r.status_code == 422 and "CNNPLAY_MAX_LAYERS" in r.json()["detail"]
    three = {**SPEC, "layers": [*SPEC["layers"][:1], *SPEC["layers"][2:]]}  # 1243 params
    r = tight_client.post(f"/api/export/{kind}", json=three)
    assert r.status_code == 413
    assert "CNNPLAY_MAX_PARAMS" in r.json()["detail"] and "1,243" in r.json()["detail"]


def test_an_operator_onnx_cannot_express_is_422(client: TestClient) -> None:
    # adaptive pooling 12 -> 5 is not a whole-number window, which ONNX cannot express
    spec = {**SPEC, "layers": [{"type": "adaptive_avgpool2d", "output_size": 5}]}
    r = client.post("/api/export/onnx", json=spec)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("ONNX cannot express this network") and "\n" not in detail
    assert client.post("/api/export/pytorch", json=spec).status_code == 200


def test_onnx_export_refuses_a_network_past_the_export_limit(client: TestClient) -> None:
    spec = {
        "input": {"channels": 1, "height": 8, "width": 8},
        "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 2000}],
    }
    client.app.state.settings.max_export_params = 1000
    response = client.post("/api/export/onnx", json=spec)
    assert response.status_code == 413
    assert "CNNPLAY_MAX_EXPORT_PARAMS" in response.json()["detail"]
    assert "130,000 parameters" in response.json()["detail"]


# --- a weights id: those weights, not a fresh initialisation (issue 17) -------------------


def _import_resnet18(client: TestClient, tmp_path: Path) -> str:
    from tests.models.test_torchvision import save_pth, state, upload

    r = upload(client, save_pth(tmp_path, state("resnet18")), "resnet18")
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_onnx_of_an_imported_checkpoint_runs_its_weights(
    client: TestClient, tmp_path: Path
) -> None:
    import onnxruntime as ort

    import models
    from server.net.weights import library as lib
    from server.net.weights.files import load

    wid = _import_resnet18(client, tmp_path)
    r = client.post("/api/export/onnx", json={"weights": wid})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="ResNet-18.onnx"'
    entry = lib.find(wid, client.app.state.settings.data_dir, None, models.get)
    module = load(entry.spec, entry.path)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = module(x)  # (2, 1000)
        fresh = load(entry.spec, entry.path).apply(_reset)(x)
    session = ort.InferenceSession(r.content, providers=["CPUExecutionProvider"])
    (got,) = session.run(["logits"], {"input": x.numpy()})
    scale = float(want.abs().max())
    assert float((torch.from_numpy(got) - want).abs().max()) <= 1e-5 * scale
    assert float((fresh - want).abs().max()) > 0.1 * scale  # a fresh init would differ


def _reset(module: torch.nn.Module) -> None:
    if isinstance(module, torch.nn.Conv2d | torch.nn.Linear):
        module.reset_parameters()


def test_pytorch_code_says_how_to_load_the_weights(client: TestClient, tmp_path: Path) -> None:
    import subprocess
    import sys

    from safetensors.torch import load_file

    import models
    from server.net.core.build import build_module

    r = client.post("/api/export/pytorch", json={"weights": "mnist_cnn"})
    assert r.status_code == 200, r.text
    code = r.text
    assert 'model.load_state_dict(load_file("mnist_cnn.safetensors"))' in code
    assert "GET /api/weights/mnist_cnn/file" in code
    weights = client.get("/api/weights/mnist_cnn/file").content
    (tmp_path / "mnist_cnn.safetensors").write_bytes(weights)
    (tmp_path / "net.py").write_text(code)
    run = subprocess.run(
        [sys.executable, "net.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "not found" not in run.stdout and "-> output (1, 10)" in run.stdout
    # the exported class takes the file as the snippet loads it and computes cnnplay's net
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(code, "net.py", "exec"), namespace)
    model = namespace["MNISTCNN"]().eval()
    model.load_state_dict(load_file(str(tmp_path / "mnist_cnn.safetensors")))
    ours = build_module(models.get("mnist_cnn")).eval()
    ours.load_state_dict(load_file(str(tmp_path / "mnist_cnn.safetensors")))
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model(x), ours(x))


@pytest.mark.parametrize("kind", ["pytorch", "onnx"])
def test_weights_ids_are_checked(client: TestClient, kind: str) -> None:
    r = client.post(f"/api/export/{kind}", json={"weights": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    r = client.post(f"/api/export/{kind}", json={"weights": "mnist_cnn", "spec": SPEC})
    assert r.status_code == 422 and r.json()["detail"].startswith("weights: mnist_cnn do not fit")
    r = client.post(f"/api/export/{kind}", json={"weights": "mnist_cnn", "extra": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"
    r = client.post(f"/api/export/{kind}", json={"weights": "mnist_cnn", "spec": BAD})
    assert r.status_code == 422 and r.json()["detail"].startswith("layers.1:")
