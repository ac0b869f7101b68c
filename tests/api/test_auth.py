"""server/api/auth.py: every /api route but the public ones needs a token; the token on a
page URL becomes an HttpOnly, SameSite=Strict cookie; failures are slowed down."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.api import auth
from server.config import Settings
from tests.clients import open_client

PUBLIC = {("GET", "/api/health"), ("POST", "/api/join"), ("POST", "/api/signin")}
DUMMY_ID = "0123456789abcdef0123456789abcdef"


def routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every operation in the app's OpenAPI document, ids filled in."""
    doc = client.get("/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        for method in ops:
            out.append((method.upper(), re.sub(r"\{[^}]+\}", DUMMY_ID, path)))
    return out


def test_every_route_but_the_public_ones_is_401_without_a_token(settings: Settings) -> None:
    with open_client(settings, token="") as client:
        ops = routes(client)
        assert len(ops) > 60  # the whole API, not an empty document
        for method, path in ops:
            r = client.request(method, path)
            if (method, path) in PUBLIC:
                assert r.status_code != 401, (method, path)
            else:
                assert r.status_code == 401, (method, path, r.status_code)
                assert "cnnplay serve" in r.json()["detail"]
                assert r.headers["www-authenticate"] == "Bearer"


def test_a_wrong_token_is_401_and_the_right_ones_pass(settings: Settings) -> None:
    teacher = settings.model_copy(update={"token": "the-teachers-token-" + "x" * 30})
    with open_client(teacher, token="wrong") as client:
        r = client.get("/api/networks")
        assert r.status_code == 401 and "not valid" in r.json()["detail"]
        ok = client.get("/api/me", headers={"Authorization": f"Bearer {teacher.token}"})
        assert ok.status_code == 200 and ok.json()["role"] == "owner"
        assert client.get("/api/health").status_code == 200


def test_create_app_makes_a_token_when_none_is_set(settings: Settings) -> None:
    assert settings.token is None
    with open_client(settings) as a, open_client(settings.model_copy()) as b:
        ta, tb = a.app.state.auth.token, b.app.state.auth.token
        assert len(ta) >= 43 and ta != tb  # random per app: never an open server
        assert a.get("/api/networks", headers={"Authorization": f"Bearer {tb}"}).status_code == 401


def test_the_token_on_a_page_url_becomes_a_cookie_and_leaves_the_url(settings: Settings) -> None:
    with open_client(settings, token="") as client:
        token = client.app.state.auth.token
        r = client.get(f"/?token={token}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"{auth.COOKIE}={token};")
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
            assert flag in cookie
        assert r.headers["cache-control"] == "no-store"
        assert client.get("/api/me").json()["role"] == "owner"  # the cookie signs in
        # other query parameters stay; the page itself is served after the redirect
        r = client.get(f"/index.html?x=1&token={token}", follow_redirects=False)
        assert r.headers["location"] == "/index.html?x=1"
        assert client.get(f"/?token={token}").status_code == 200


def test_a_wrong_token_on_a_page_url_sets_no_cookie(settings: Settings) -> None:
    with open_client(settings, token="") as client:
        r = client.get("/?token=guess", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert "set-cookie" not in r.headers
        assert client.get("/api/me").status_code == 401


def test_pasting_a_token_signs_in_and_signing_out_forgets_it(settings: Settings) -> None:
    with open_client(settings, token="") as client:
        assert client.post("/api/signin", json={"token": "nope"}).status_code == 401
        r = client.post("/api/signin", json={"token": client.app.state.auth.token})
        assert r.status_code == 200 and r.json()["role"] == "owner"
        assert "HttpOnly" in r.headers["set-cookie"]
        assert client.get("/api/me").status_code == 200
        out = client.post("/api/signout")
        assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]
        assert client.get("/api/me").status_code == 401


def test_repeated_failures_are_slowed_down(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(auth.asyncio, "sleep", no_sleep)
    with open_client(settings, token="") as client:
        for _ in range(6):
            assert client.get("/api/me", headers={"Authorization": "Bearer x"}).status_code == 401
        assert waits[:3] == [0.0, 0.0, 0.0] and waits[3:] == [0.25, 0.5, 1.0]
        # a client without a token at all (a first page load) is not counted
        client.get("/api/me")
        assert len(waits) == 6
        good = {"Authorization": f"Bearer {client.app.state.auth.token}"}
        assert client.get("/api/me", headers=good).status_code == 200
        client.get("/api/me", headers={"Authorization": "Bearer x"})
        assert waits[-1] == 0.0  # a success cleared the count


def test_docs_and_the_openapi_document_are_public(settings: Settings) -> None:
    """They describe the API and hold no data (documented in docs/architecture.md)."""
    with open_client(settings, token="") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 200, path


def test_an_exposed_server_takes_any_host_but_still_needs_the_token(tmp_path: Path) -> None:
    exposed = Settings(warm_workers=0, data_dir=tmp_path / "d", host="0.0.0.0")
    with open_client(exposed, base_url="http://lab-7.school.example:8000") as client:
        assert client.get("/api/me").status_code == 200
        bare = client.get("/api/networks", headers={"Authorization": ""})
        assert bare.status_code == 401
        # the Origin check stays: a foreign page may not change anything
        evil = client.post("/api/networks", json={}, headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403
    local = Settings(warm_workers=0, data_dir=tmp_path / "e")
    with open_client(local, base_url="http://lab-7.school.example:8000") as client:
        assert client.get("/api/me").status_code == 421  # loopback only: Host is checked
