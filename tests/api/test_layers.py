"""GET /api/layers: a schema per layer type, with what the browser's forms need."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.net.core.spec import ALL_TYPES


def test_every_layer_type_has_a_schema(client: TestClient) -> None:
    body = client.get("/api/layers").json()
    types = body["types"]
    assert set(types) == {m.model_fields["type"].default for m in ALL_TYPES}
    for name, schema in types.items():
        assert schema["title"] and schema["description"], name
        assert schema["category"] in {
            "convolution",
            "upsampling",
            "pooling",
            "normalization",
            "activation",
            "regularization",
            "dense",
            "recurrent",
            "block",
        }, name
    assert "$defs" in body["network"]


def test_defaults_come_from_the_schema(client: TestClient) -> None:
    types = client.get("/api/layers").json()["types"]
    conv = types["conv2d"]["properties"]
    assert conv["stride"]["default"] == 1 and conv["padding"]["default"] == 0
    assert conv["groups"]["default"] == 1 and conv["bias"]["default"] is True
    assert "out_channels" in types["conv2d"]["required"]
    assert types["dropout"]["properties"]["p"]["default"] == 0.5
    assert types["maxpool2d"]["properties"]["ceil_mode"]["default"] is False
    assert types["residual"]["properties"]["merge"]["default"] == "add"


def test_new_layers_of_issue_16_have_their_forms(client: TestClient) -> None:
    types = client.get("/api/layers").json()["types"]
    assert types["conv_transpose2d"]["category"] == types["upsample"]["category"] == "upsampling"
    groups = types["conv2d"]["properties"]["groups"]["anyOf"]
    assert {"type": "string", "enum": ["depthwise"]} in [
        {k: v for k, v in g.items() if k in ("type", "enum")} for g in groups
    ]
    assert types["conv_transpose2d"]["properties"]["output_padding"]["default"] == 0
    assert types["upsample"]["properties"]["mode"]["enum"] == ["nearest", "bilinear"]
    assert types["groupnorm"]["required"] == ["num_groups"]
    for block in ("residual", "parallel"):
        assert types[block]["properties"]["merge"]["enum"] == ["add", "concat", "mul"]
    for kind in ("relu6", "silu", "hardswish", "hardsigmoid", "layernorm"):
        assert types[kind]["category"] in ("activation", "normalization")
