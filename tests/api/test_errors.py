"""Error handlers: field paths without union tags, deep nesting, no 500s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.api.errors import MAX_LOC, _where


def test_where_drops_body_and_union_tags() -> None:
    assert _where(("body", "layers", 0, "conv2d", "out_channels")) == "layers.0.out_channels"
    assert _where(("body",)) == "body"
    long = ("body", *(["layers", 0, "sequential"] * 50))
    assert _where(long) == ".".join(["layers", "0"] * (MAX_LOC // 2)) + "...."


def test_validation_detail_is_short_and_names_the_field(client: TestClient) -> None:
    r = client.post("/api/shapes", json={"layers": [{"type": "linear", "out_features": 0}]})
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors[0]["field"] == "layers.0.out_features"
    assert "greater than or equal to 1" in errors[0]["msg"]
    assert "input" not in errors[0]
    assert r.json()["detail"].startswith("layers.0.out_features: Input should be greater")


@pytest.mark.parametrize("route", ["/api/shapes", "/api/networks"])
def test_parser_recursion_is_422_naming_the_limit(client: TestClient, route: str) -> None:
    # /api/shapes parses with pydantic; other routes with FastAPI's json.loads.
    body = "[" * 100_000 + "]" * 100_000
    r = client.post(route, content=body.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "nested too deeply" in r.json()["detail"]


def test_unknown_route_is_still_404(client: TestClient) -> None:
    assert client.get("/api/no-such-thing").status_code == 404


def test_app_errors_and_validation_errors_share_one_shape(client: TestClient) -> None:
    app_error = client.get("/api/zoo/no-such-net")
    assert app_error.status_code == 404 and isinstance(app_error.json()["detail"], str)
    assert "errors" not in app_error.json()
    invalid = client.post("/api/networks", json={"spec": {"layers": "no"}})
    assert invalid.status_code == 422
    body = invalid.json()
    assert isinstance(body["detail"], str) and body["errors"][0]["field"]
    assert set(body["errors"][0]) == {"loc", "field", "msg", "type"}


def test_the_openapi_document_says_the_error_shape_everywhere(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert doc["components"]["schemas"]["ErrorBody"]["required"] == ["detail"]
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            assert responses["4XX"]["content"]["application/json"]["schema"] == ref, (path, method)
            if "422" in responses:
                assert responses["422"]["content"]["application/json"]["schema"] == ref


def test_a_wrong_method_is_405_with_allow(client: TestClient) -> None:
    # issue 13: the static mount answered these with 404 and `Allow: GET, HEAD`
    r = client.get("/api/convolve")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert "use POST" in r.json()["detail"]
    r = client.post("/api/health")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    r = client.patch("/api/networks/some-id")
    assert r.status_code == 405 and r.headers["allow"] == "GET, PUT, DELETE"
    assert client.get("/").status_code == 200  # the frontend is still served
