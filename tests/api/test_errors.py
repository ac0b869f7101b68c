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
