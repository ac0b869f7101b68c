"""GET /api/health."""

from __future__ import annotations

import torch
from fastapi.testclient import TestClient


def test_health(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "torch": torch.__version__, "ready": True}
