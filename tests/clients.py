"""The one way a test opens a client on an app: every test goes through here, so what
a client needs to be let in (issue 14: a token) is decided in one place.

A client signs in as the teacher (the app's own token, sent as a Bearer header);
`student_token` makes a student account on a running client's app for tests of
ownership, and `as_token` opens a second client on the same app with another token.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.config import Settings
from server.loading import wait_loaded
from server.main import create_app

BASE_URL = "http://127.0.0.1:8000"


class LoadedClient(TestClient):
    """A TestClient whose `with` block starts once the app has loaded (server/loading.py):
    tests read app.state's services directly."""

    def __enter__(self) -> LoadedClient:
        super().__enter__()
        wait_loaded(self.app)  # type: ignore[arg-type]
        return self


def open_client(
    app: Settings | FastAPI,
    base_url: str = BASE_URL,
    token: str | None = None,
    loaded: bool = True,
) -> TestClient:
    """A TestClient on `app` (or on create_app(settings)), signed in as the teacher (or
    with `token`; token="" for none); use it as a context manager. Its block starts once
    the app has loaded; loaded=False starts it as the socket would open (tests of
    server/loading.py)."""
    if isinstance(app, Settings):
        app = create_app(app)
    client = (LoadedClient if loaded else TestClient)(app, base_url=base_url)
    token = app.state.auth.token if token is None else token
    if token:
        client.headers["Authorization"] = f"Bearer {token}"
    return client


def student_token(client: TestClient, name: str = "student") -> str:
    """A new student on the client's app (made through the teacher's POST /api/users)."""
    r = client.post("/api/users", json={"name": name}, headers=owner_headers(client))
    assert r.status_code == 201, r.text
    return r.json()["token"]


def owner_headers(client: TestClient) -> dict[str, str]:
    app = client.app
    assert isinstance(app, FastAPI)
    return {"Authorization": f"Bearer {app.state.auth.token}"}


def as_token(client: TestClient, token: str) -> TestClient:
    """Another client on the same (already started) app, signed in with `token`: no
    second lifespan; do not use it as a context manager."""
    other = TestClient(client.app, base_url=str(client.base_url))
    other.headers["Authorization"] = f"Bearer {token}"
    return other
