"""Shared fixtures: an app on a temporary data dir, a client for it, and a start whose
loading (server/loading.py) is held until the test lets it go on, or fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server import loading
from server.config import Settings
from tests.clients import open_client


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No warm worker: a test app that needs one says so (tests/jobs/test_pool.py);
    # otherwise each app would import torch in a worker it never uses.
    return Settings(data_dir=tmp_path / "data", warm_workers=0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with open_client(settings) as c:
        yield c


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Loading stops before its routers until the test sets the event."""
    release = threading.Event()
    real = loading.routers

    def slow() -> Any:
        assert release.wait(60), "the test never let loading go on"
        return real()

    monkeypatch.setattr(loading, "routers", slow)
    yield release
    release.set()


@pytest.fixture
def broken_load(monkeypatch: pytest.MonkeyPatch) -> str:
    """Loading fails as a missing module would; returns that module's name."""

    def broken() -> Any:
        raise ImportError("no module named 'torchy'")

    monkeypatch.setattr(loading, "routers", broken)
    return "torchy"
