"""Issue 14: each design, run, image, dataset and weights file is its user's: another
student gets 404 for it (walked over the OpenAPI document), the teacher sees it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

import models
from server.config import Settings
from server.net.core.build import build_module
from tests.clients import as_token, open_client, student_token
from tests.net.data.test_archive import good_zip
from tests.net.weights.test_library import make_run, state_bytes

SPEC = models.get("mnist_cnn")
# Path parameters and the object of student A each stands for.
PARAMS = {"net_id": "network", "run_id": "run", "weights_id": "weights", "name": "dataset"}


@dataclass
class Classroom:
    teacher: TestClient
    a: TestClient
    b: TestClient
    objects: dict[str, str]  # what student A made: network, run, weights, dataset, image


@pytest.fixture
def room(settings: Settings) -> Iterator[Classroom]:
    with open_client(settings) as teacher:
        a = as_token(teacher, student_token(teacher, "Ada"))
        b = as_token(teacher, student_token(teacher, "Bo"))
        net = a.post("/api/networks", json=SPEC.model_dump(mode="json")).json()["id"]
        a_id = a.get("/api/me").json()["id"]
        store = teacher.app.state.store.as_user(a_id)
        run = make_run(store, settings.data_dir, {"dataset": "mnist"})
        w = a.post(
            "/api/weights",
            files={"file": ("w.safetensors", state_bytes(build_module(SPEC)), "application/x")},
            data={"spec": SPEC.model_dump_json()},
        )
        assert w.status_code == 201, w.text
        d = a.post(
            "/api/datasets", files={"file": ("p.zip", good_zip(per_class=5), "application/zip")}
        )
        assert d.status_code == 201, d.text
        png = io.BytesIO()
        Image.new("RGB", (28, 28), "white").save(png, "PNG")
        img = a.post("/api/images", files={"file": ("x.png", png.getvalue(), "image/png")})
        objects = {
            "network": net,
            "run": run,
            "weights": w.json()["id"],
            "dataset": d.json()["name"],
            "image": img.json()["id"],
        }
        yield Classroom(teacher, a, b, objects)


def owned_routes(client: TestClient, objects: dict[str, str]) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document that names one object by its id, with the
    id of student A's object of that kind."""
    out = []
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        names = re.findall(r"\{([^}]+)\}", path)
        if len(names) != 1 or names[0] not in PARAMS:
            continue
        if names[0] == "name" and not path.startswith("/api/datasets/"):
            continue  # zoo and pretrained names are everyone's
        value = objects[PARAMS[names[0]]]
        if names[0] == "weights_id" and "/runs/" not in path:
            value = objects["weights"]
        for method in ops:
            out.append((method.upper(), path.replace(f"{{{names[0]}}}", value)))
    return out


def test_another_student_gets_404_for_every_object_route(room: Classroom) -> None:
    ops = owned_routes(room.b, room.objects)
    assert len(ops) >= 15
    for method, path in ops:
        body: Any = {"shared": True} if path.endswith("/shared") else None
        if method == "PUT" and "/networks/" in path and body is None:
            body = SPEC.model_dump(mode="json")
        r = room.b.request(method, path, json=body)
        expected = 403 if path.endswith("/shared") else 404  # sharing is the teacher's
        assert r.status_code == expected, (method, path, r.status_code, r.text[:200])
    for method, path in ops:  # the teacher reads every one of them
        if method == "GET" and not path.endswith(("/events", "/misclassified")):  # a made-up run
            r = room.teacher.get(path)
            assert r.status_code not in (401, 403, 404), (path, r.status_code, r.text[:200])


def test_run_weights_of_another_student_are_404_too(room: Classroom) -> None:
    run_weights = f"run-{room.objects['run']}"
    for client, expected in ((room.b, 404), (room.a, 200), (room.teacher, 200)):
        assert client.get(f"/api/weights/{run_weights}").status_code == expected
        assert client.get(f"/api/learning/weights/{run_weights}/histogram").status_code in (
            (expected,) if expected == 404 else (200,)
        )


def test_lists_show_only_ones_own_and_the_teacher_sees_all(room: Classroom) -> None:
    o = room.objects
    assert [n["id"] for n in room.a.get("/api/networks").json()] == [o["network"]]
    assert room.b.get("/api/networks").json() == []
    assert [n["id"] for n in room.teacher.get("/api/networks").json()] == [o["network"]]
    assert [r["id"] for r in room.a.get("/api/runs").json()] == [o["run"]]
    assert room.b.get("/api/runs").json() == []
    weights = lambda c: {w["id"] for w in c.get("/api/weights").json()}  # noqa: E731
    assert o["weights"] in weights(room.a) and f"run-{o['run']}" in weights(room.a)
    assert o["weights"] not in weights(room.b) and f"run-{o['run']}" not in weights(room.b)
    assert o["weights"] in weights(room.teacher)
    datasets = lambda c: {d["name"] for d in c.get("/api/datasets").json()}  # noqa: E731
    assert o["dataset"] in datasets(room.a) and o["dataset"] in datasets(room.teacher)
    assert o["dataset"] not in datasets(room.b) and "mnist" in datasets(room.b)


def test_images_weights_and_datasets_are_404_where_they_are_used(room: Classroom) -> None:
    o = room.objects
    conv = {"image_id": o["image"], "kernel_name": "sobel_x"}
    assert room.a.post("/api/convolve", json=conv).status_code == 200
    assert room.b.post("/api/convolve", json=conv).status_code == 404
    feat = {"net": {"weights": o["weights"]}, "image": "mnist-3"}
    assert room.a.post("/api/features/overview", json=feat).status_code == 200
    r = room.b.post("/api/features/overview", json=feat)
    assert r.status_code == 404 and "weights" in r.json()["detail"]
    img = {"net": {"zoo": "mnist_cnn"}, "image": o["image"]}
    assert room.b.post("/api/features/overview", json=img).status_code == 404
    run = {"spec": SPEC.model_dump(mode="json"), "config": {"dataset": o["dataset"]}}
    r = room.b.post("/api/runs", json=run)
    assert r.status_code == 422 and "config.dataset" in r.json()["detail"]


def test_the_teacher_may_read_and_change_every_students_objects(room: Classroom) -> None:
    o = room.objects
    t = room.teacher
    assert t.get(f"/api/networks/{o['network']}").status_code == 200
    assert t.get(f"/api/runs/{o['run']}").status_code == 200
    assert t.get(f"/api/weights/{o['weights']}/file").status_code == 200
    assert t.get(f"/api/datasets/{o['dataset']}").status_code == 200
    assert t.delete(f"/api/networks/{o['network']}").status_code == 204
    assert room.a.get("/api/networks").json() == []


def test_sharing_is_read_only_for_students_who_can_copy(room: Classroom) -> None:
    o = room.objects
    assert (
        room.a.put(f"/api/networks/{o['network']}/shared", json={"shared": True}).status_code == 403
    )
    r = room.teacher.put(f"/api/networks/{o['network']}/shared", json={"shared": True})
    assert r.status_code == 200 and r.json()["shared"] is True
    assert (
        room.teacher.put(f"/api/runs/{o['run']}/shared", json={"shared": True}).status_code == 200
    )
    b = room.b
    assert [n["id"] for n in b.get("/api/networks").json()] == [o["network"]]
    assert b.get(f"/api/networks/{o['network']}").json()["shared"] is True
    assert b.get(f"/api/runs/{o['run']}").status_code == 200
    assert b.get(f"/api/weights/run-{o['run']}").status_code == 200  # a shared run's weights
    spec = SPEC.model_dump(mode="json")
    assert b.put(f"/api/networks/{o['network']}", json=spec).status_code == 404
    assert b.delete(f"/api/networks/{o['network']}").status_code == 404
    assert b.delete(f"/api/runs/{o['run']}").status_code == 404
    copy = b.post(f"/api/networks/{o['network']}/copy")
    assert copy.status_code == 201
    mine = copy.json()["id"]
    assert b.put(f"/api/networks/{mine}", json={**spec, "name": "Bo's"}).status_code == 200
    work = room.teacher.get("/api/class/work").json()
    owners = {n["id"]: (n["owner"], n["shared"]) for n in work["networks"]}
    assert owners == {o["network"]: ("Ada", True), mine: ("Bo", False)}
