"""The one way a test opens a client on an app: every test goes through here, so what
a client needs to be let in (issue 14: a token) is decided in one place."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.config import Settings
from server.main import create_app

BASE_URL = "http://127.0.0.1:8000"


def open_client(app: Settings | FastAPI, base_url: str = BASE_URL) -> TestClient:
    """A TestClient on `app` (or on create_app(settings)); use it as a context manager."""
    if isinstance(app, Settings):
        app = create_app(app)
    return TestClient(app, base_url=base_url)
