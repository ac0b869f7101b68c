from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import models
from server.config import Settings
from server.net.data import downloads
from tests.api.test_runs import wait_done
from tests.clients import open_client
from tests.net.data.test_archive import good_zip, png, zip_of
from tests.net.data.test_downloads import fake_mnist, served  # noqa: F401 - a fixture

FIELDS = {
    "name", "title", "channels", "height", "width", "num_classes", "class_names",
    "train_size", "val_size", "status", "progress",
}  # fmt: skip


def upload(client: TestClient, data: bytes, name: str = "pets.zip", **form: Any) -> Any:
    return client.post(
        "/api/datasets", files={"file": (name, data, "application/zip")}, data=form or None
    )


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def test_lists_every_dataset_with_its_status(client: TestClient) -> None:
    got = {d["name"]: d for d in client.get("/api/datasets").json()}
    assert {"mnist", "digits", "shapes", "mnist_full", "fashion_mnist", "cifar10"} <= set(got)
    for d in got.values():
        assert set(d) >= FIELDS
    assert got["shapes"]["channels"] == 3 and got["shapes"]["status"] == "ready"
    assert got["shapes"]["class_names"] == ["circle", "square", "triangle", "line"]
    assert got["cifar10"]["status"] == "missing"
    assert (got["cifar10"]["channels"], got["cifar10"]["height"]) == (3, 32)
    assert got["fashion_mnist"]["class_names"][-1] == "Ankle boot"
    # The Train view's older list: only what a run can use now.
    ready = {d["name"] for d in client.get("/api/train/datasets").json()}
    assert ready == {"mnist", "digits", "shapes", "shapes_masks"}


def test_upload_list_train_and_delete(client: TestClient, settings: Settings) -> None:
    z = good_zip(per_class=5, rgb=True)
    buf = io.BytesIO(z)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("notes.txt", b"skipped")
    r = upload(client, buf.getvalue(), title="My pets")
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["name"] == f"upload:{d['id']}" and d["title"] == "My pets"
    assert d["class_names"] == ["cats", "dogs"] and d["counts"] == {"cats": 5, "dogs": 5}
    assert (d["train_size"], d["val_size"]) == (8, 2) and d["skipped"] == 1
    assert (d["channels"], d["height"], d["width"]) == (3, 64, 64)
    assert d["status"] == "ready" and d["kind"] == "upload"
    # Stored under a server-made id, one safetensors file and a manifest.
    folder = settings.data_dir / "datasets" / d["id"]
    assert sorted(p.name for p in folder.iterdir()) == ["data.safetensors", "manifest.json"]
    listed = {x["name"]: x for x in client.get("/api/datasets").json()}
    assert listed[d["name"]]["counts"] == {"cats": 5, "dogs": 5}
    # The name as the browser's encodeURIComponent sends it.
    assert client.get(f"/api/datasets/upload%3A{d['id']}").json()["title"] == "My pets"

    spec = models.get("mnist_cnn").model_dump(mode="json")
    spec["layers"][-1]["out_features"] = 2
    config = {"dataset": d["name"], "epochs": 1, "batch_size": 4}
    run = client.post("/api/runs", json={"spec": spec, "config": config})
    assert run.status_code == 201, run.text  # 1-channel network on RGB images: grey
    ended = wait_done(client, run.json()["id"])
    assert ended["status"] == "done", ended["message"]

    assert client.delete(f"/api/datasets/{d['name']}").status_code == 204
    assert not folder.exists()
    assert client.delete(f"/api/datasets/{d['id']}").status_code == 404
    assert d["name"] not in {x["name"] for x in client.get("/api/datasets").json()}


def _slip(name: str) -> bytes:
    buf = io.BytesIO(good_zip())
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr(name, png())
    return buf.getvalue()


BAD = {
    "dot-dot": (_slip("../../evil.png"), 422, "zip-slip"),
    "absolute": (_slip("/tmp/evil.png"), 422, "absolute path"),
    "single class": (zip_of({"a/1.png": png(), "a/2.png": png()}), 422, "single class"),
    "empty folder": (
        zip_of({"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/2.png": png(), "c/": b""}),
        422,
        "'c' has no images",
    ),
    "undecodable": (
        zip_of({"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/2.png": b"\x89PNG.."}),
        422,
        "b/2.png",
    ),
    "bomb": (
        zip_of({"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/2.png": bytes(9 << 20)}),
        413,
        "CNNPLAY_MAX_ARCHIVE_RATIO",
    ),
    "not a zip": (b"hello", 422, "not a zip"),
    "only text": (zip_of({"a/x.txt": b"1", "b/y.txt": b"2"}), 422, "no images"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_zips_are_refused_and_nothing_is_written(
    case: str, client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    data, status, message = BAD[case]
    before = files_under(tmp_path)
    r = upload(client, data)
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]
    assert files_under(tmp_path) == before  # nothing in the data dir, nothing beside it
    assert not Path("/tmp/evil.png").exists()


def test_upload_limits_come_from_settings(tmp_path: Path) -> None:

    settings = Settings(
        warm_workers=0, data_dir=tmp_path / "d", max_archive_entries=3, max_upload_datasets=1
    )
    with open_client(settings) as c:
        r = upload(c, good_zip())
        assert r.status_code == 413 and "CNNPLAY_MAX_ARCHIVE_ENTRIES" in r.json()["detail"]
        ok = zip_of({"a/1.png": png(), "b/1.png": png(), "b/2.png": png()})
        assert upload(c, ok).status_code == 422  # class 'a' has 1 image
    settings = Settings(warm_workers=0, data_dir=tmp_path / "e", max_upload_datasets=1)
    with open_client(settings) as c:
        assert upload(c, good_zip()).status_code == 201
        r = upload(c, good_zip())
        assert r.status_code == 409 and "CNNPLAY_MAX_UPLOAD_DATASETS" in r.json()["detail"]


def test_an_upload_needs_the_servers_origin(client: TestClient) -> None:
    r = client.post(
        "/api/datasets",
        files={"file": ("a.zip", good_zip(), "application/zip")},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403


def test_download_with_progress_then_train(
    client: TestClient,
    settings: Settings,
    served: tuple[Path, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    www, url = served
    fake, _ = fake_mnist(www, url, n=40, m=10)
    monkeypatch.setitem(downloads.SOURCES, "mnist_full", fake)
    spec = models.get("mlp").model_dump(mode="json")
    config = {"dataset": "mnist_full", "epochs": 1, "batch_size": 8}
    r = client.post("/api/runs", json={"spec": spec, "config": config})
    assert r.status_code == 409 and "not downloaded yet" in r.json()["detail"]

    r = client.post("/api/datasets/mnist_full/download")
    assert r.status_code == 202 and r.json()["status"] in ("downloading", "ready")
    deadline = time.monotonic() + 30
    while (d := client.get("/api/datasets/mnist_full").json())["status"] != "ready":
        assert d["status"] == "downloading", d
        assert 0.0 <= d["progress"] <= 1.0 and d["bytes_total"] > 0
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert d["train_size"] == 40 and d["error"] is None
    # A second request for a ready set starts nothing.
    assert client.post("/api/datasets/mnist_full/download").json()["status"] == "ready"
    r = client.post("/api/runs", json={"spec": spec, "config": config})
    assert r.status_code == 201, r.text
    assert wait_done(client, r.json()["id"])["status"] == "done"
    # The cache can be removed again.
    assert client.delete("/api/datasets/mnist_full").status_code == 204
    assert client.get("/api/datasets/mnist_full").json()["status"] == "missing"


def test_run_config_errors_name_the_dataset(client: TestClient) -> None:
    spec = models.get("mlp").model_dump(mode="json")
    r = client.post("/api/runs", json={"spec": spec, "config": {"dataset": "imagenet"}})
    assert r.status_code == 422 and "imagenet" in str(r.json()["detail"])
    gone = "upload:0123456789abcdef"
    r = client.post("/api/runs", json={"spec": spec, "config": {"dataset": gone}})
    assert r.status_code == 422 and gone in r.json()["detail"]
    spec["input"]["channels"] = 2
    r = client.post("/api/runs", json={"spec": spec, "config": {"dataset": "shapes"}})
    assert r.status_code == 422 and "spec.input.channels is 2" in r.json()["detail"]
    spec = models.get("mlp").model_dump(mode="json")
    r = client.post("/api/runs", json={"spec": spec, "config": {"dataset": "shapes"}})
    assert r.status_code == 422 and "needs (4,)" in r.json()["detail"]


def test_unknown_and_builtin_names(client: TestClient) -> None:
    assert client.get("/api/datasets/nope").status_code == 404
    assert client.post("/api/datasets/nope/download").status_code == 404
    assert client.post("/api/datasets/shapes/download").status_code == 409
    assert client.delete("/api/datasets/mnist").status_code == 409
    assert client.delete("/api/datasets/upload:..etc").status_code == 404
    assert client.delete("/api/datasets/..").status_code in (404, 405)  # never a path


def test_photos_are_stored_at_224_and_the_bytes_are_bounded(tmp_path: Path) -> None:
    from server.main import create_app

    photos = zip_of({f"{c}/{i}.png": png((9, 9, 9), size=(300, 260)) for c in "ab" for i in (1, 2)})
    small = Settings(warm_workers=0, data_dir=tmp_path / "a", max_dataset_bytes=3 * 3 * 224 * 224)
    with open_client(small) as client:
        r = upload(client, photos)
        assert r.status_code == 413 and "CNNPLAY_MAX_DATASET_BYTES" in r.json()["detail"]
        assert client.get("/api/datasets").json()[-1]["kind"] != "upload"
    app = create_app(Settings(warm_workers=0, data_dir=tmp_path / "b"))
    with open_client(app) as client:
        d = upload(client, photos).json()
        assert (d["channels"], d["height"], d["width"]) == (3, 224, 224)
