"""An in-process client for benchmarks, signed in as the teacher (issue 14: every /api
route but health needs a token; the app makes its own when Settings has none)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient


def client(app: FastAPI) -> TestClient:
    """A TestClient on `app` sending the app's own token; use it as a context manager."""
    c = TestClient(app, base_url="http://127.0.0.1:8000")
    c.headers["Authorization"] = f"Bearer {app.state.auth.token}"
    return c
