"""/api/weights: list, import (checked before storing), download, delete, limits."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
from fastapi.testclient import TestClient
from safetensors.torch import load, save

import models
from server.config import Settings
from server.net.core.build import build_module
from tests.clients import open_client
from tests.net.weights.test_library import Boom, make_run, state_bytes

SPEC = models.get("mnist_cnn")


def upload(client: TestClient, data: bytes, spec: str | None = None, title: str = "") -> object:
    return client.post(
        "/api/weights",
        files={"file": ("w.safetensors", data, "application/octet-stream")},
        data={"spec": spec or SPEC.model_dump_json(), "title": title},
    )


def test_lists_shipped_runs_and_uploads(client: TestClient, settings: Settings) -> None:
    run_id = make_run(client.app.state.store, settings.data_dir, {"dataset": "mnist"})
    assert upload(client, state_bytes(build_module(SPEC)), title="mine").status_code == 201
    entries = client.get("/api/weights").json()
    kinds = {e["id"]: e["kind"] for e in entries}
    assert kinds["mnist_cnn"] == "shipped" and kinds[f"run-{run_id}"] == "run"
    assert [e["title"] for e in entries if e["kind"] == "upload"] == ["mine"]
    for e in entries:
        assert {"id", "title", "kind", "spec", "accuracy", "created"} <= set(e)
        assert e["spec"]["input"]["channels"] == 1
    run = next(e for e in entries if e["kind"] == "run")
    assert run["accuracy"] == 0.75 and run["created"]


def test_import_then_download_round_trips(client: TestClient) -> None:
    data = state_bytes(build_module(SPEC))
    r = upload(client, data, title="My net: v2/final")
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    assert wid.startswith("upload-") and r.json()["bytes"] == len(data)
    got = client.get(f"/api/weights/{wid}/file")
    assert got.status_code == 200 and got.content == data
    assert (
        got.headers["content-disposition"] == 'attachment; filename="My_net_v2_final.safetensors"'
    )
    shipped = client.get("/api/weights/mnist_cnn/file")
    assert shipped.headers["content-disposition"].endswith('"mnist_cnn.safetensors"')
    assert set(load(shipped.content)) == set(build_module(SPEC).state_dict())


def test_mismatched_keys_are_named(client: TestClient, settings: Settings) -> None:
    state = {k: v.contiguous() for k, v in build_module(SPEC).state_dict().items()}
    state["layers.3.weight"] = torch.zeros(32, 16, 5, 5)
    del state["layers.0.bias"]
    r = upload(client, save(state))
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "layers.3.weight: shape [32, 16, 5, 5] in the file, [32, 16, 3, 3]" in detail
    assert "layers.0.bias: missing from the file" in detail
    assert not (settings.data_dir / "weights").exists() or not any(
        (settings.data_dir / "weights").iterdir()
    )


def test_weights_for_another_spec_are_refused(client: TestClient) -> None:
    lenet = build_module(models.get("lenet5_mnist"))
    r = upload(client, state_bytes(lenet))
    assert r.status_code == 422 and "in the file but not in the network" in r.json()["detail"]


def test_garbage_and_pickles_are_refused(client: TestClient, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    buf = tmp_path / "x.pt"
    torch.save({"boom": Boom(marker)}, buf)
    for data in (b"hello", pickle.dumps(Boom(marker)), buf.read_bytes(), b"\xff" * 4096):
        r = upload(client, data)
        assert r.status_code == 422 and "not safetensors" in r.json()["detail"]
    assert not marker.exists()


def test_bad_spec_is_named(client: TestClient) -> None:
    r = upload(client, b"x", spec='{"name": "n", "input": {"channels": 0}}')
    assert r.status_code == 422
    assert any(d["field"].startswith("spec.input") for d in r.json()["errors"])
    r = upload(client, b"x", spec="not json")
    assert r.status_code == 422


def test_size_and_count_limits(settings: Settings) -> None:
    data = state_bytes(build_module(SPEC))
    settings.max_weights_bytes = len(data) - 1
    with open_client(settings) as c:
        r = upload(c, data)
        assert r.status_code == 413 and "CNNPLAY_MAX_WEIGHTS_BYTES" in r.json()["detail"]
    settings.max_weights_bytes = len(data)
    settings.max_imported_weights = 1
    with open_client(settings) as c:
        assert upload(c, data).status_code == 201
        r = upload(c, data)
        assert r.status_code == 409 and "CNNPLAY_MAX_IMPORTED_WEIGHTS" in r.json()["detail"]


def test_imports_are_held_to_the_library_disk_bound(settings: Settings) -> None:
    data = state_bytes(build_module(SPEC))
    settings.max_library_bytes = 2 * len(data)  # one file and its JSON fit, a second not
    with open_client(settings) as c:
        assert upload(c, data).status_code == 201
        r = upload(c, data)
        assert r.status_code == 409 and "CNNPLAY_MAX_LIBRARY_BYTES" in r.json()["detail"]
        assert c.get("/api/weights/usage").json()["files"] == 1


def test_delete_only_uploads(client: TestClient, settings: Settings) -> None:
    wid = upload(client, state_bytes(build_module(SPEC))).json()["id"]
    assert client.delete(f"/api/weights/{wid}").status_code == 204
    assert client.get(f"/api/weights/{wid}").status_code == 404
    assert client.delete(f"/api/weights/{wid}").status_code == 404
    assert client.delete("/api/weights/mnist_cnn").status_code == 409
    run_id = make_run(client.app.state.store, settings.data_dir, {"dataset": "mnist"})
    assert client.delete(f"/api/weights/run-{run_id}").status_code == 409


def test_unknown_ids_are_404(client: TestClient) -> None:
    for wid in ("nope", "run-" + "0" * 32, "upload-" + "a" * 32, "upload-../../etc", "run-x"):
        r = client.get(f"/api/weights/{wid}/file")
        assert r.status_code == 404 and "no weights" in r.json()["detail"]


class _Chunks:
    """A file that records the size of every read."""

    def __init__(self, data: bytes) -> None:
        import io

        self.inner, self.reads = io.BytesIO(data), []  # type: ignore[var-annotated]

    def read(self, n: int = -1) -> bytes:
        self.reads.append(n)
        return self.inner.read(n)


def test_uploads_are_spooled_in_bounded_chunks(tmp_path: Path) -> None:
    # issue 13: uploads were read whole into memory
    from fastapi import HTTPException

    from server.api.weights import _spool

    src = _Chunks(b"x" * 10_000)
    path = _spool(src, tmp_path, limit=10_000, chunk=1_000)  # type: ignore[arg-type]
    assert path.read_bytes() == b"x" * 10_000 and max(src.reads) == 1_000
    src = _Chunks(b"x" * 10_000)
    try:
        _spool(src, tmp_path / "b", limit=4_500, chunk=1_000)  # type: ignore[arg-type]
        raise AssertionError("no 413")
    except HTTPException as exc:
        assert exc.status_code == 413
    assert len(src.reads) == 5  # stopped at the limit, not at the end of the upload
    assert not list((tmp_path / "b").iterdir())


def test_an_import_is_checked_from_the_file_and_moved_into_place(settings: Settings) -> None:
    settings.upload_chunk_bytes = 4096
    data = state_bytes(build_module(SPEC))
    with open_client(settings) as c:
        r = upload(c, data)
        assert r.status_code == 201, r.text
        folder = settings.data_dir / "weights"
        stored = folder / (r.json()["id"].removeprefix("upload-") + ".safetensors")
        assert stored.read_bytes() == data
        assert not list(folder.glob(".incoming-*"))
        state = {k: v.contiguous() for k, v in build_module(SPEC).state_dict().items()}
        state["layers.0.weight"][0, 0, 0, 0] = float("nan")
        r = upload(c, save(state))
        assert r.status_code == 422 and "layers.0.weight: has NaN" in r.json()["detail"]
        assert not list(folder.glob(".incoming-*"))


def test_a_spec_over_the_limits_is_refused_before_the_file_is_read(settings: Settings) -> None:
    big = SPEC.model_copy(update={"name": "big"}).model_dump_json()
    settings.max_params = 10
    with open_client(settings) as c:
        r = upload(c, b"x" * 100_000, spec=big)
        assert r.status_code == 413 and "CNNPLAY_MAX_PARAMS" in r.json()["detail"]
        assert not (settings.data_dir / "weights").exists()
