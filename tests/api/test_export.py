"""server/api/export.py: PyTorch source and ONNX downloads, and their 4xx answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import onnx
import pytest
from fastapi.testclient import TestClient

from server.config import Settings
from server.main import create_app

SPEC: dict[str, Any] = {
    "name": "Tiny net",
    "input": {"channels": 1, "height": 12, "width": 12},
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 3},
    ],
}
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
    settings = Settings(data_dir=tmp_path / "data", max_params=1000, max_layers=3)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
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
