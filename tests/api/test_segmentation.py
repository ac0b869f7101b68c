"""Segmentation runs through the API (issue 16): checks before queueing, the epoch
events' mIoU and live masks, and the worst-IoU gallery."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from server.net.train.segmentation import image_iou
from tests.api.test_runs import read_sse, wait_done

SEG = {"dataset": "shapes_masks", "epochs": 2, "batch_size": 32, "train_limit": 64}


def fcn(k: int = 5, side: int = 16) -> dict[str, Any]:
    """A tiny fully convolutional net: (3, side, side) -> (k, side, side)."""
    return {
        "name": "Tiny FCN",
        "input": {"channels": 3, "height": side, "width": side},
        "layers": [
            {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
            {"type": "relu"},
            {"type": "conv2d", "out_channels": k, "kernel_size": 1},
        ],
    }


def png(url: str) -> Image.Image:
    assert url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_shapes_masks_is_listed_as_segmentation(client: TestClient) -> None:
    d = client.get("/api/datasets/shapes_masks").json()
    assert d["class_names"] == ["background", "circle", "square", "triangle", "line"]
    assert (d["channels"], d["height"], d["width"]) == (3, 64, 64)
    assert d["task"] == "segmentation"
    assert client.get("/api/datasets/shapes").json()["task"] == "classification"


def test_output_must_be_a_map_per_class(client: TestClient) -> None:
    r = client.post("/api/runs", json={"spec": fcn(k=4), "config": SEG})
    assert r.status_code == 422
    assert "(5, 16, 16)" in r.json()["detail"] and "1x1 conv2d of 5" in r.json()["detail"]


def test_classification_options_are_refused_by_name(client: TestClient) -> None:
    for extra, field in (
        ({"loss": "mse"}, "config.loss"),
        ({"classes": [1, 2]}, "config.classes"),
        ({"val_split": 0.2}, "config.val_split"),
        ({"task": "classification"}, "config.task"),
    ):
        r = client.post("/api/runs", json={"spec": fcn(), "config": {**SEG, **extra}})
        assert r.status_code == 422, extra
        assert r.json()["detail"].startswith(field), r.json()
    mlp = {**fcn(), "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}
    cfg = {"dataset": "digits", "task": "segmentation", "epochs": 1}
    r = client.post("/api/runs", json={"spec": mlp, "config": cfg})
    assert r.status_code == 422 and "config.task" in r.json()["detail"]


@pytest.mark.slow  # a real run through a worker
def test_a_run_reports_miou_live_masks_and_the_worst_iou_gallery(client: TestClient) -> None:
    r = client.post("/api/runs", json={"spec": fcn(), "config": SEG})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    run = wait_done(client, run_id)
    assert run["status"] == "done", run["message"]
    events = [m["data"] for m in read_sse(client, run_id) if "id" in m]
    epochs = [e for e in events if e["kind"] == "epoch"]
    assert len(epochs) == 2
    for e in epochs:
        assert 0 <= e["miou"] <= 1 and 0 <= e["dice"] <= 1
        assert e["masks"]["labels"][1] == "circle" and len(e["masks"]["palette"]) == 5
        assert len(e["masks"]["items"]) == 4
        ex = e["masks"]["items"][0]
        assert png(ex["image"]).size == (16, 16)
        assert png(ex["true"]).mode == "P" and png(ex["pred"]).size == (16, 16)
    # The image and its true mask stay; the predicted mask is the epoch's own.
    first, last = epochs[0]["masks"]["items"][0], epochs[1]["masks"]["items"][0]
    assert first["true"] == last["true"] and first["image"] == last["image"]
    m = run["metrics"]
    assert m["task"] == "segmentation" and m["miou"] == epochs[-1]["miou"]
    # The runs list says what its score is: mIoU beside the pixel accuracy.
    listed = next(x for x in client.get("/api/runs").json() if x["id"] == run_id)
    assert listed["task"] == "segmentation" and listed["miou"] == m["miou"]
    assert listed["accuracy"] == m["accuracy"]
    assert m["labels"][0] == "background" and len(m["palette"]) == 5
    assert len(m["per_class"]) == 5 and "iou" in m["per_class"][0]
    assert m["worst_iou"]["total"] == 500
    ious = [iou for _, iou in m["worst_iou"]["items"]]
    assert ious == sorted(ious)

    page = client.get(f"/api/runs/{run_id}/worst_iou", params={"limit": 3}).json()
    assert page["total"] == 500 and len(page["items"]) == 3
    assert [it["iou"] for it in page["items"]] == ious[:3]
    assert [it["index"] for it in page["items"]] == [i for i, _ in m["worst_iou"]["items"][:3]]
    for it in page["items"]:
        assert png(it["pred"]).mode == "P" and png(it["true"]).size == (16, 16)
        # The gallery's masks are the ones ranked: their IoU, recomputed, is the item's.
        pred = torch.from_numpy(np.array(png(it["pred"]))).long()[None]
        true = torch.from_numpy(np.array(png(it["true"]))).long()[None]
        assert abs(float(image_iou(pred, true, 5)[0]) - it["iou"]) < 1e-4
    nxt = client.get(f"/api/runs/{run_id}/worst_iou", params={"offset": 3, "limit": 3}).json()
    assert [it["iou"] for it in nxt["items"]] == ious[3:6]
    bad = client.get(f"/api/runs/{run_id}/worst_iou", params={"limit": 10_000})
    assert bad.status_code == 422 and "CNNPLAY_MAX_MISCLASSIFIED_PAGE" in bad.json()["detail"]
    assert client.get(f"/api/runs/{'0' * 32}/worst_iou").status_code == 404


@pytest.mark.slow  # a real run through a worker
def test_a_zip_with_masks_uploads_and_trains(client: TestClient) -> None:
    from tests.net.data.test_mask_archive import dataset, make_zip

    data = make_zip(dataset(n=6))
    r = client.post("/api/datasets", files={"file": ("streets.zip", data, "application/zip")})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["task"] == "segmentation" and d["class_names"] == ["sky", "road", "car"]
    assert d["train_size"] + d["val_size"] == 6
    config = {"dataset": d["name"], "epochs": 1, "batch_size": 4}
    run = client.post("/api/runs", json={"spec": fcn(k=3), "config": config})
    assert run.status_code == 201, run.text
    done = wait_done(client, run.json()["id"])
    assert done["status"] == "done", done["message"]
    assert done["metrics"]["labels"] == ["sky", "road", "car"]
    assert 0 <= done["metrics"]["miou"] <= 1


def test_a_bad_mask_zip_is_a_422_naming_the_file(client: TestClient) -> None:
    from tests.net.data.test_mask_archive import dataset, make_zip

    files = dataset()
    files.pop("masks/1.png")
    r = client.post("/api/datasets", files={"file": ("x.zip", make_zip(files), "application/zip")})
    assert r.status_code == 422 and "'1' has no file of that name in masks/" in r.json()["detail"]
