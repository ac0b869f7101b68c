"""/docs, /redoc and /favicon.ico: nothing fetched from outside the server (issue 18)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from server.api import docs
from server.main import FRONTEND


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", [docs.SWAGGER_JS, docs.SWAGGER_CSS, docs.FAVICON]),
        ("/redoc", [docs.REDOC_JS, docs.FAVICON]),
    ],
)
def test_docs_pages_load_only_vendored_assets(
    client: TestClient, page: str, assets: list[str]
) -> None:
    r = client.get(page)
    assert r.status_code == 200
    html = r.text
    # every src/href is a path on this server: no CDN, no Google Fonts
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sorted(set(urls)) == sorted(assets)
    assert "https://" not in html and "http://" not in html
    assert "/openapi.json" in html
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.content == (FRONTEND / asset.lstrip("/")).read_bytes(), asset


def test_swagger_ui_asks_no_online_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_builtin_cdn_pages_are_off(client: TestClient) -> None:
    assert client.app.docs_url is None  # type: ignore[attr-defined]
    assert client.app.redoc_url is None  # type: ignore[attr-defined]
    paths = {p for p in client.get("/openapi.json").json()["paths"]}
    assert not paths & {"/docs", "/redoc", "/favicon.ico"}  # not API operations


def test_favicon_ico_redirects_to_the_svg_icon(client: TestClient) -> None:
    r = client.get("/favicon.ico", follow_redirects=False)
    assert r.status_code == 308
    assert r.headers["location"] == docs.FAVICON
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg")


def test_the_app_page_links_the_icon(client: TestClient) -> None:
    html = client.get("/").text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert link is not None
    assert client.get("/" + link.group(1)).headers["content-type"].startswith("image/svg+xml")
