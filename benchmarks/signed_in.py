"""An in-process client for benchmarks, signed in as the teacher (issue 14: every /api
route but health needs a token; the app makes its own when Settings has none)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.loading import wait_loaded


class _Loaded(TestClient):
    def __enter__(self) -> _Loaded:
        super().__enter__()
        wait_loaded(self.app)  # type: ignore[arg-type]  # benchmarks use app.state directly
        return self


def client(app: FastAPI) -> TestClient:
    """A TestClient on `app` sending the app's own token; use it as a context manager (its
    block starts once the app has loaded, server/loading.py)."""
    c = _Loaded(app, base_url="http://127.0.0.1:8000")
    c.headers["Authorization"] = f"Bearer {app.state.auth.token}"
    return c
