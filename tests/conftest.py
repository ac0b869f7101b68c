"""Shared fixtures: an app on a temporary data dir, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

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
