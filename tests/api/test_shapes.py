"""POST /api/shapes: happy path, invalid specs, and every way a client can be refused."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

import models
from server.config import Settings
from server.net.core.shapes import infer
from tests.net.core.test_shapes import LENET5


def post(client: TestClient, body: Any, **kw: Any) -> Any:
    return client.post("/api/shapes", json=body, **kw)


def raw(client: TestClient, body: str) -> Any:
    return client.post(
        "/api/shapes", content=body.encode(), headers={"content-type": "application/json"}
    )


def test_lenet5_shapes(client: TestClient) -> None:
    r = post(client, LENET5)
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True and body["error"] is None
    assert body["total_params"] == body["trainable_params"] == 61_706
    assert body["input_shape"] == [1, 32, 32] and body["output_shape"] == [10]
    outs = [row["output_shape"] for row in body["layers"]]
    assert outs == [
        [6, 28, 28],
        [6, 28, 28],
        [6, 14, 14],
        [16, 10, 10],
        [16, 10, 10],
        [16, 5, 5],
        [400],
        [120],
        [120],
        [84],
        [84],
        [10],
    ]
    first = body["layers"][0]
    assert first["path"] == "layers.0" and first["input_shape"] == [1, 32, 32]
    assert first["params"] == 156 and first["receptive_field"] == [5, 5]
    assert first["formula"] == "floor((32 + 2*0 - 5)/1) + 1 = 28"
    assert body["macs"] == sum(row["macs"] for row in body["layers"])


def test_frozen_layers_are_not_trainable(client: TestClient) -> None:
    r = client.post("/api/shapes?frozen=layers.0&frozen=layers.3", json=LENET5)
    body = r.json()
    assert body["total_params"] == 61_706
    assert body["trainable_params"] == 61_706 - 156 - 2416 < body["total_params"]


def test_invalid_spec_is_200_with_earlier_layers_filled(client: TestClient) -> None:
    spec = {
        "input": {"channels": 1, "height": 8, "width": 8},
        "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
            {
                "type": "sequential",
                "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 7}],
            },
        ],
    }
    body = post(client, spec).json()
    assert body["valid"] is False and body["output_shape"] is None
    assert body["error"]["layer"] == "layers.1.layers.0"
    assert "lower kernel_size or add padding" in body["error"]["message"]
    assert body["layers"][0]["output_shape"] == [4, 6, 6]


def _fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json()["errors"]]


def test_malformed_json_is_422(client: TestClient) -> None:
    r = raw(client, '{"layers": [')
    assert r.status_code == 422
    assert r.json()["errors"][0]["type"] == "json_invalid"


def test_unknown_layer_type_names_the_path(client: TestClient) -> None:
    r = post(client, {"layers": [{"type": "relu"}, {"type": "conv3d"}]})
    assert r.status_code == 422
    assert _fields(r) == ["layers.1"]
    assert "conv3d" in r.json()["errors"][0]["msg"]


def test_bad_numbers_are_422_naming_the_field(client: TestClient) -> None:
    cases = [
        ({"type": "conv2d", "out_channels": 0, "kernel_size": 3}, "layers.0.out_channels"),
        ({"type": "conv2d", "out_channels": 4, "kernel_size": -3}, "layers.0.kernel_size"),
        ({"type": "conv2d", "out_channels": 4.5, "kernel_size": 3}, "layers.0.out_channels"),
        ({"type": "conv2d", "out_channels": 10**9, "kernel_size": 3}, "layers.0.out_channels"),
        ({"type": "linear", "out_features": "10"}, "layers.0.out_features"),
        ({"type": "maxpool2d", "kernel_size": 2, "padding": -1}, "layers.0.padding"),
    ]
    for layer, field in cases:
        r = post(client, {"layers": [layer]})
        assert r.status_code == 422, layer
        assert any(f.startswith(field) for f in _fields(r)), (layer, _fields(r))
    r = post(client, {"input": {"channels": 1, "height": 0, "width": 28}})
    assert r.status_code == 422 and _fields(r) == ["input.height"]


def test_ten_thousand_layers_are_refused_quickly(client: TestClient) -> None:
    start = time.perf_counter()
    r = post(client, {"layers": [{"type": "relu"}] * 10_000})
    assert time.perf_counter() - start < 1.0
    assert r.status_code == 422
    assert "CNNPLAY_MAX_LAYERS" in r.json()["detail"]


def _nested(depth: int) -> str:
    inner = '{"type": "sequential", "layers": [' * depth + '{"type": "relu"}' + "]}" * depth
    return '{"layers": [' + inner + "]}"


def test_deep_nesting_is_a_clear_4xx(client: TestClient) -> None:
    for depth in (40, 300, 5_000):
        r = raw(client, _nested(depth))
        assert r.status_code == 422, depth
        assert "CNNPLAY_MAX_DEPTH" in r.json()["detail"], depth
    assert raw(client, _nested(20)).json()["valid"] is True


def test_body_over_the_limit_is_413(client: TestClient, settings: Settings) -> None:
    r = raw(client, " " * (settings.max_body_bytes + 1))
    assert r.status_code == 413


def test_foreign_origin_and_host_are_refused(client: TestClient) -> None:
    r = post(client, LENET5, headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    assert post(client, LENET5, headers={"origin": "http://127.0.0.1:8000"}).status_code == 200
    r = post(client, LENET5, headers={"host": "evil.example"})
    assert r.status_code == 421


def test_absurd_sizes_answer_instantly(client: TestClient) -> None:
    spec = {
        "input": {"channels": 65536, "height": 65536, "width": 65536},
        "layers": [
            {"type": "conv2d", "out_channels": 65536, "kernel_size": 3},
            {"type": "maxpool2d", "kernel_size": 65536, "ceil_mode": True},
            {"type": "flatten"},
            {"type": "linear", "out_features": 65536},
            {"type": "lstm", "hidden_size": 65536, "num_layers": 16, "bidirectional": True},
        ],
    }
    start = time.perf_counter()
    r = post(client, spec)
    assert time.perf_counter() - start < 1.0
    assert r.status_code == 200
    assert r.json()["layers"][0]["params"] == 65536 * 65536 * 9 + 65536


def test_no_spec_of_odd_shapes_gives_a_500(client: TestClient) -> None:
    odd = [
        {"layers": [{"type": "parallel", "branches": []}]},
        {"layers": [{"type": "residual"}]},
        {"layers": [{"type": "residual", "body": [{"type": "flatten"}], "merge": "concat"}]},
        {"layers": [{"type": "flatten"}, {"type": "lstm", "hidden_size": 3}]},
        {"layers": [{"type": "flatten"}, {"type": "batchnorm2d"}]},
        {"layers": [{"type": "global_avgpool2d"}, {"type": "flatten"}, {"type": "dropout2d"}]},
        {"layers": [{"type": "conv2d", "out_channels": 3, "kernel_size": 3, "groups": 2}]},
        {
            "layers": [
                {
                    "type": "conv2d",
                    "out_channels": 3,
                    "kernel_size": 3,
                    "stride": 2,
                    "padding": "same",
                }
            ]
        },
        {"layers": [{"type": "avgpool2d", "kernel_size": 2, "padding": 2}]},
        {"layers": [{"type": "maxpool2d", "kernel_size": [2, 2, 2]}]},
        {"layers": [{"type": "linear", "out_features": 2}, {"type": "batchnorm1d"}]},
        {
            "layers": [
                {"type": "lstm", "hidden_size": 2},
                {"type": "batchnorm1d"},
                {"type": "softmax"},
            ]
        },
        [],
        "text",
        {"layers": {"type": "relu"}},
    ]
    for body in odd:
        r = post(client, body)
        assert r.status_code in (200, 422), (body, r.status_code)
        if r.status_code == 200 and not r.json()["valid"]:
            assert r.json()["error"]["layer"].startswith("layers.")


def test_malformed_json_says_where(client: TestClient) -> None:
    r = raw(client, '{"layers": [{"type": "relu"}] x}')
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["type"] == "json_invalid" and error["field"] == "body"
    assert "line 1 column" in error["msg"]
    bad_utf8 = client.post(
        "/api/shapes", content=b'{"name": "\xff"}', headers={"content-type": "application/json"}
    )
    assert bad_utf8.status_code == 422


def test_body_must_be_json(client: TestClient) -> None:
    body = b'{"layers": []}'
    r = client.post("/api/shapes", content=body, headers={"content-type": "text/plain"})
    assert r.status_code == 422 and "application/json" in r.json()["errors"][0]["msg"]
    r = client.post("/api/shapes", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "missing"
    kind = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/api/shapes", content=body, headers=kind).json()["valid"] is True


def test_docs_show_the_networkspec_body(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    body = doc["paths"]["/api/shapes"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.removeprefix("#/components/schemas/")]
    assert body["required"] is True
    assert {"name", "input", "layers"} <= set(schema["properties"])
    params = doc["paths"]["/api/shapes"]["post"]["parameters"]
    assert [p["name"] for p in params] == ["frozen"]


def test_a_resnet_152_reply_matches_infer(client: TestClient) -> None:
    spec = models.get("resnet152")
    r = client.post(
        "/api/shapes",
        content=spec.model_dump_json().encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    report = infer(spec)
    assert body["total_params"] == report.total_params == 60_192_808
    assert body["layers"] == [dict(vars(row)) for row in report.layers]
    assert {k: v for k, v in body.items() if k != "layers"} == {
        k: v for k, v in vars(report).items() if k != "layers"
    }
