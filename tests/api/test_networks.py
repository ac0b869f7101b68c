"""server/api/networks.py: save, list, load, replace and delete designs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.layers import conv, flatten, linear, maxpool, network, relu
from server.api import networks as networks_api
from server.config import Settings
from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec
from tests.clients import open_client

# LeNet-5's first stage and its classifier: five layers.
LENET: dict[str, Any] = network(
    "LeNet-5", (1, 32, 32), [conv(6, 5), relu(), maxpool(2), flatten(), linear(10)]
).model_dump(mode="json")
BROKEN: dict[str, Any] = {
    "name": "too small",
    "input": {"channels": 1, "height": 4, "width": 4},
    "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 5}],
}


def test_save_then_load_round_trips_the_spec(client: TestClient) -> None:
    r = client.post("/api/networks", json=LENET)
    assert r.status_code == 201
    net_id = r.json()["id"]
    assert len(net_id) == 32

    got = client.get(f"/api/networks/{net_id}").json()
    assert got["id"] == net_id and got["name"] == "LeNet-5"
    assert NetworkSpec.model_validate(got["spec"]) == NetworkSpec.model_validate(LENET)
    assert got["created_at"] == got["updated_at"]


def test_list_newest_first_with_params(client: TestClient) -> None:
    first = client.post("/api/networks", json=LENET).json()["id"]
    second = client.post("/api/networks", json=BROKEN).json()["id"]
    rows = client.get("/api/networks").json()
    assert [r["id"] for r in rows] == [second, first]
    lenet = rows[1]
    assert lenet["total_params"] == infer(NetworkSpec.model_validate(LENET)).total_params
    assert lenet["valid"] is True and lenet["input_shape"] == [1, 32, 32]
    assert rows[0]["valid"] is False  # a design in progress may be saved
    assert set(lenet) == {
        "id", "name", "created_at", "updated_at", "total_params", "valid", "input_shape",
        "owner_id", "shared",  # whose it is: another's shared design opens read-only
    }  # fmt: skip
    assert lenet["shared"] is False and lenet["owner_id"]


def test_list_reads_stored_summaries_and_works_out_older_rows(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/api/networks", json=LENET)
    store = client.app.state.store  # type: ignore[attr-defined]
    # A row saved before summaries were stored: the list works it out from the spec.
    store.create_network("old", NetworkSpec.model_validate(LENET).model_dump_json())
    old, new = store.list_networks()
    assert old.summary_json is None and new.summary_json is not None

    calls: list[str] = []
    real = networks_api.infer
    monkeypatch.setattr(networks_api, "infer", lambda spec: calls.append(spec.name) or real(spec))
    rows = client.get("/api/networks").json()
    assert calls == ["LeNet-5"]  # only the old row was inferred
    assert rows[0]["total_params"] == rows[1]["total_params"] == 156 + 1176 * 10 + 10


def test_layer_locks_are_saved_with_the_design(client: TestClient) -> None:
    net_id = client.post("/api/networks?frozen=layers.0&frozen=layers.0", json=LENET).json()["id"]
    assert client.get(f"/api/networks/{net_id}").json()["frozen"] == ["layers.0"]
    r = client.put(f"/api/networks/{net_id}?frozen=layers.4&frozen=layers.0", json=LENET)
    assert r.status_code == 200
    assert client.get(f"/api/networks/{net_id}").json()["frozen"] == ["layers.0", "layers.4"]
    client.put(f"/api/networks/{net_id}", json=LENET)  # no locks: none kept
    assert client.get(f"/api/networks/{net_id}").json()["frozen"] == []
    # A design whose shapes fail still has all its paths to lock.
    broken = client.post("/api/networks?frozen=layers.0", json=BROKEN)
    assert broken.status_code == 201


def test_a_lock_on_no_layer_is_422_naming_it(client: TestClient) -> None:
    r = client.post("/api/networks?frozen=layers.9", json=LENET)
    assert r.status_code == 422
    assert "layers.9" in r.json()["detail"] and "frozen" in r.json()["detail"]
    assert client.get("/api/networks").json() == []  # nothing saved


def test_put_replaces_and_moves_to_the_top(client: TestClient) -> None:
    first = client.post("/api/networks", json=LENET).json()["id"]
    client.post("/api/networks", json=BROKEN)
    renamed = {**LENET, "name": "LeNet, wider", "layers": LENET["layers"][:2]}
    r = client.put(f"/api/networks/{first}", json=renamed)
    assert r.status_code == 200 and r.json() == {"id": first}
    got = client.get(f"/api/networks/{first}").json()
    assert got["name"] == "LeNet, wider" and len(got["spec"]["layers"]) == 2
    assert got["updated_at"] > got["created_at"]
    assert client.get("/api/networks").json()[0]["id"] == first


def test_delete(client: TestClient) -> None:
    net_id = client.post("/api/networks", json=LENET).json()["id"]
    r = client.delete(f"/api/networks/{net_id}")
    assert r.status_code == 204 and r.content == b""
    assert client.get(f"/api/networks/{net_id}").status_code == 404
    assert client.get("/api/networks").json() == []


@pytest.mark.parametrize("bad", ["0" * 32, "nope", "A" * 32, "%27%20OR%201%3D1", "x" * 500])
def test_unknown_ids_are_404_with_a_message(client: TestClient, bad: str) -> None:
    for method in ("GET", "DELETE"):
        r = client.request(method, f"/api/networks/{bad}")
        assert r.status_code == 404
        assert "no saved network" in r.json()["detail"]
    r = client.put(f"/api/networks/{bad}", json=LENET)
    assert r.status_code == 404


def test_a_body_that_is_not_a_spec_is_422(client: TestClient) -> None:
    r = client.post("/api/networks", json={"layers": [{"type": "conv2d"}]})
    assert r.status_code == 422
    assert any("out_channels" in e["field"] for e in r.json()["errors"])


@pytest.fixture
def small_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        warm_workers=0, data_dir=tmp_path / "data", max_saved_networks=2, max_layers=3
    )
    with open_client(settings) as c:
        yield c


def test_saved_design_limit_is_409_naming_it(small_client: TestClient) -> None:
    small = {**LENET, "layers": LENET["layers"][:2]}
    for _ in range(2):
        assert small_client.post("/api/networks", json=small).status_code == 201
    r = small_client.post("/api/networks", json=small)
    assert r.status_code == 409
    assert "CNNPLAY_MAX_SAVED_NETWORKS" in r.json()["detail"]
    assert len(small_client.get("/api/networks").json()) == 2


def test_layer_limit_applies_to_save_and_replace(small_client: TestClient) -> None:
    r = small_client.post("/api/networks", json=LENET)  # 5 layers, limit 3
    assert r.status_code == 422 and "CNNPLAY_MAX_LAYERS" in r.json()["detail"]
    small = {**LENET, "layers": LENET["layers"][:2]}
    net_id = small_client.post("/api/networks", json=small).json()["id"]
    assert small_client.put(f"/api/networks/{net_id}", json=LENET).status_code == 422


def test_designs_outlive_the_app(settings: Settings) -> None:
    with open_client(settings) as c:
        net_id = c.post("/api/networks", json=LENET).json()["id"]
    with open_client(settings) as c:
        assert c.get(f"/api/networks/{net_id}").json()["name"] == "LeNet-5"


def test_foreign_origin_cannot_save(client: TestClient) -> None:
    r = client.post("/api/networks", json=LENET, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert client.get("/api/networks").json() == []
