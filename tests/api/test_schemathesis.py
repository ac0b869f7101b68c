"""schemathesis over every operation of the app's own OpenAPI document, in-process
(issue 13): no 5xx, no status code the document does not list, every answer matching
its schema (the one error shape included). A few examples per operation keep it under
two minutes; the client comes from tests/clients.py like every other test's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, reject, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from server.config import Settings
from tests.clients import BASE_URL, open_client

pytestmark = pytest.mark.slow
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Event streams answer forever while a run lives; they are checked in tests/api/test_runs.py.
SKIP = ("/events",)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = Path(tmp_path_factory.mktemp("schemathesis")) / "data"
    with open_client(Settings(warm_workers=0, data_dir=data, max_jobs=1)) as client:
        yield client


@pytest.fixture(scope="module")
def api_schema(api: TestClient) -> Any:
    loaded = schemathesis.openapi.from_dict(api.get("/openapi.json").json())
    # The coverage phase enumerates boundary cases of every schema; NetworkSpec's recursive
    # one takes it tens of minutes. Examples and random fuzzing keep the run short.
    loaded.config.phases.coverage.enabled = False
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else repr(value)).encode()


def _files(files: Any) -> list[tuple[str, tuple[str, bytes, str]]]:
    """requests-style files with every content as bytes (fuzzed ones may be numbers)."""
    items = files.items() if isinstance(files, dict) else files
    out = []
    for name, value in items:
        parts = value if isinstance(value, tuple) else ("upload", value)
        filename = str(parts[0] or "upload")
        kind = str(parts[2]) if len(parts) > 2 else "application/octet-stream"
        out.append((str(name), (filename, _bytes(parts[1]), kind)))
    return out


def send(client: TestClient, kwargs: dict[str, Any]) -> Any:
    """The case's request (requests-style keyword arguments) through the test client."""
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    if kwargs.get("files"):
        body["files"] = _files(kwargs["files"])
        if isinstance(kwargs.get("data"), dict):
            body["data"] = kwargs["data"]
    elif isinstance(kwargs.get("data"), dict):
        body["data"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content"] = data.encode() if isinstance(data, str) else data
    try:
        request = _build(client, kwargs, body)
    except httpx2.InvalidURL:  # a query the client itself cannot send (over 65,536 bytes)
        reject()
    request.read()  # a multipart body is a stream; the checks read the request again
    return client.send(request)


def _build(client: TestClient, kwargs: dict[str, Any], body: dict[str, Any]) -> Any:
    return client.build_request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params") or None,
        headers=dict(kwargs.get("headers") or {}),
        **body,
    )


@schema.parametrize()
@settings(
    max_examples=10,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_keeps_the_contract(case: Any, api: TestClient) -> None:
    if case.path.endswith(SKIP):
        pytest.skip("an event stream")
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    response = send(api, kwargs)
    case.validate_response(response, checks=CHECKS)
