"""The guard: Host and Origin checks, bounded bodies."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.api.guard import _hostname
from server.api.headers import script_hashes
from server.config import Settings
from tests.clients import open_client


def test_hostname() -> None:
    assert _hostname("127.0.0.1:8000") == "127.0.0.1"
    assert _hostname("[::1]:8000") == "::1"
    assert _hostname("localhost") == "localhost"


def test_foreign_host_is_421_even_for_get(client: TestClient) -> None:
    r = client.get("/api/health", headers={"host": "attacker.example:8000"})
    assert r.status_code == 421
    assert "CNNPLAY_ALLOWED_HOSTS" in r.json()["detail"]
    assert client.get("/api/health", headers={"host": "localhost:8000"}).status_code == 200


def test_foreign_origin_may_read_but_not_post(client: TestClient) -> None:
    evil = {"origin": "http://evil.example"}
    assert client.get("/api/health", headers=evil).status_code == 200
    r = client.post("/api/shapes", json={}, headers=evil)
    assert r.status_code == 403 and "evil.example" in r.json()["detail"]
    streams = {**evil, "accept": "text/event-stream"}
    assert client.get("/api/health", headers=streams).status_code == 403


def test_declared_and_streamed_bodies_over_the_limit_are_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 100})
    with open_client(small) as c:
        body = b'{"layers": []' + b" " * 200 + b"}"
        r = c.post("/api/shapes", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 413 and "100 bytes" in r.json()["detail"]

        def chunks():  # no content-length: counted while it streams
            yield b'{"layers": ['
            yield b" " * 200
            yield b"]}"

        r = c.post("/api/shapes", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        ok = c.post("/api/shapes", json={"layers": []})
        assert ok.status_code == 200


def test_allowed_hosts_setting(settings: Settings) -> None:
    wide = settings.model_copy(update={"allowed_hosts": ["lab.example"]})
    with open_client(wide, base_url="http://lab.example") as c:
        assert c.get("/api/health").status_code == 200


def test_weights_imports_have_their_own_upload_limit(settings: Settings) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 1_000, "max_weights_bytes": 50_000})
    big = {"file": ("w.safetensors", b"x" * 5_000, "application/octet-stream")}
    with open_client(small) as c:
        # Past the upload limit but within the weights limit: the guard lets it through to
        # the endpoint, which refuses it for what it is (no spec here), not for its size.
        r = c.post("/api/weights", files=big)
        assert r.status_code == 422
        assert c.post("/api/images", files=big).status_code == 413
        huge = {"file": ("w.safetensors", b"x" * 3_000_000, "application/octet-stream")}
        r = c.post("/api/weights", files=huge)
        assert r.status_code == 413 and "bytes" in r.json()["detail"]


def test_a_foreign_referer_without_origin_is_refused(client: TestClient) -> None:
    # issue 13: a request with no Origin but a foreign Referer could delete
    r = client.delete("/api/networks/x", headers={"referer": "http://evil.example/page"})
    assert r.status_code == 403 and "evil.example" in r.json()["detail"]
    r = client.post("/api/shapes", json={}, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    own = {"referer": "http://127.0.0.1:8000/#design"}
    assert client.post("/api/shapes", json={"layers": []}, headers=own).status_code == 200
    assert client.post("/api/shapes", json={"layers": []}).status_code == 200  # curl, scripts


def test_event_streams_are_guarded_whatever_the_accept_header(client: TestClient) -> None:
    # issue 13: without `Accept: text/event-stream` a foreign Origin's stream went through
    evil = {"origin": "http://evil.example"}
    for accept in ({}, {"accept": "*/*"}, {"accept": "text/event-stream"}):
        r = client.get("/api/runs/some-run/events", headers={**evil, **accept})
        assert r.status_code == 403, accept
    assert client.get("/api/runs/no-such-run/events").status_code == 404


def test_security_headers_on_every_answer(client: TestClient) -> None:
    answers = [
        client.get("/"),
        client.get("/api/health"),
        client.get("/docs"),
        client.get("/api/health", headers={"host": "attacker.example"}),  # the guard's own
        client.get("/css/base.css"),
    ]
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "http" not in csp  # no outside origin


def test_inline_scripts_are_allowed_only_by_their_hash(client: TestClient) -> None:
    import base64
    import hashlib
    import re

    page = client.get("/")
    scripts = re.findall(r"<script type=\"importmap\">(.*?)</script>", page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"].split("style-src")[0]
    assert int(page.headers["content-length"]) == len(page.content)


def test_a_304_for_the_page_still_allows_its_import_map(client: TestClient) -> None:
    """A reload answered 304 carries no body to hash; the browser applies the 304's policy
    to the page it kept, so the page's own inline scripts are allowed on every answer."""
    first = client.get("/")
    importmap = script_hashes(first.content)
    assert importmap and importmap[0] in first.headers["content-security-policy"]
    again = client.get("/", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert importmap[0] in again.headers["content-security-policy"]
