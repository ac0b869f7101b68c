"""server/api/users.py: the class code, joining, the teacher's students with their usage,
removing one; per-user limits (server/api/limits.py)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

import models
from server.api import auth
from server.config import Settings
from server.store import new_id
from tests.clients import as_token, open_client, student_token

SPEC = models.get("mnist_cnn").model_dump(mode="json")
BIG_BYTES = len(models.get("mnist_cnn").model_copy(update={"name": "b" * 20}).model_dump_json())


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(auth.asyncio, "sleep", no_sleep)


def test_joining_with_the_class_code(client: TestClient) -> None:
    anon = as_token(client, "")
    del anon.headers["Authorization"]
    closed = anon.post("/api/join", json={"code": "ABCDEFGH", "name": "Ada"})
    assert closed.status_code == 403 and "class code" in closed.json()["detail"]
    code = client.post("/api/class-code").json()["code"]
    assert client.get("/api/class-code").json() == {"code": code}
    assert anon.post("/api/join", json={"code": "WRONG123", "name": "Ada"}).status_code == 403
    r = anon.post("/api/join", json={"code": code.lower(), "name": "  Ada  "})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"]["name"] == "Ada" and body["user"]["role"] == "student"
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
    assert anon.get("/api/me").json()["id"] == body["user"]["id"]  # the cookie signs in
    assert as_token(client, body["token"]).get("/api/me").json()["name"] == "Ada"
    assert anon.post("/api/join", json={"code": code, "name": "\x00 "}).status_code == 422
    assert client.delete("/api/class-code").status_code == 204
    assert anon.post("/api/join", json={"code": code, "name": "Bo"}).status_code == 403


def test_only_the_teacher_manages_the_class(client: TestClient) -> None:
    student = as_token(client, student_token(client, "Ada"))
    for method, path in (
        ("GET", "/api/users"),
        ("POST", "/api/class-code"),
        ("GET", "/api/class-code"),
        ("GET", "/api/class/work"),
        ("DELETE", f"/api/users/{new_id()}"),
    ):
        r = student.request(method, path, json={"name": "x"} if method == "POST" else None)
        assert r.status_code == 403 and "teacher" in r.json()["detail"], (method, path)


def test_users_with_usage_and_removing_one(client: TestClient, settings: Settings) -> None:
    made = client.post("/api/users", json={"name": "Ada"})
    assert made.status_code == 201 and set(made.json()) == {"id", "name", "token"}
    ada_id, ada = made.json()["id"], as_token(client, made.json()["token"])
    assert ada.post("/api/networks", json=SPEC).status_code == 201
    users = {u["name"]: u for u in client.get("/api/users").json()}
    assert list(users) == ["Teacher", "Ada"]
    assert users["Ada"]["networks"] == 1 and users["Ada"]["runs"] == 0
    assert users["Ada"]["stored_bytes"] == len(json.dumps(SPEC, separators=(",", ":")))
    assert users["Ada"]["limits"]["jobs"] == settings.max_user_jobs
    teacher_id = users["Teacher"]["id"]
    assert client.delete(f"/api/users/{teacher_id}").status_code == 409
    assert client.delete(f"/api/users/{ada_id}").status_code == 204
    assert ada.get("/api/me").status_code == 401  # the token went with the account
    assert client.get("/api/networks").json() == []
    assert client.delete(f"/api/users/{ada_id}").status_code == 404


def test_per_user_limits_name_their_setting(settings: Settings) -> None:
    tight = settings.model_copy(
        update={
            "max_user_networks": 2,
            "max_user_jobs": 1,
            "max_users": 2,
        }
    )
    with open_client(tight) as client:
        ada = as_token(client, student_token(client, "Ada"))
        student_token(client, "Bo")
        full = client.post("/api/users", json={"name": "Cy"})
        assert full.status_code == 409 and "CNNPLAY_MAX_USERS" in full.json()["detail"]
        small = {**SPEC, "name": "s"}
        assert ada.post("/api/networks", json=small).status_code == 201
        assert ada.post("/api/networks", json=small).status_code == 201
        r = ada.post("/api/networks", json=small)
        assert r.status_code == 409 and "CNNPLAY_MAX_USER_NETWORKS" in r.json()["detail"]
        assert client.post("/api/networks", json=small).status_code == 201  # not the teacher
        ada_id = ada.get("/api/me").json()["id"]
        store = client.app.state.store.as_user(ada_id)
        store.create_run(new_id(), json.dumps(SPEC), "{}")  # queued
        r = ada.post("/api/runs", json={"spec": SPEC, "config": {"epochs": 1}})
        assert r.status_code == 429 and "CNNPLAY_MAX_USER_JOBS" in r.json()["detail"]
    with open_client(settings.model_copy(update={"max_user_bytes": BIG_BYTES * 3 // 2})) as client:
        ada = as_token(client, student_token(client, "Ada"))
        big = {**SPEC, "name": "b" * 20}
        assert ada.post("/api/networks", json=big).status_code == 201
        r = ada.post("/api/networks", json=big)
        assert r.status_code == 409 and "CNNPLAY_MAX_USER_BYTES" in r.json()["detail"]


def test_a_students_job_limit_holds_for_requests_at_once_and_for_resumes(
    settings: Settings,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.api.test_runs import TINY, mlp, wait_done

    tight = settings.model_copy(update={"max_user_jobs": 1, "max_jobs": 1})
    long = {**TINY, "epochs": 50, "batch_size": 8}
    with open_client(tight) as client:
        ada = as_token(client, student_token(client, "Ada"))
        body = {"spec": mlp(), "config": long}
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: ada.post("/api/runs", json=body), range(6)))
        codes = sorted(r.status_code for r in answers)
        assert codes == [201, 429, 429, 429, 429, 429]
        first = ada.get("/api/runs").json()[0]["id"]
        assert ada.post(f"/api/runs/{first}/pause").status_code == 200
        assert wait_done(ada, first)["status"] == "paused"
        second = ada.post("/api/runs", json=body)  # the pause freed Ada's place
        assert second.status_code == 201
        r = ada.post(f"/api/runs/{first}/resume")  # a resume takes a place too
        assert r.status_code == 429 and "CNNPLAY_MAX_USER_JOBS" in r.json()["detail"]
        ada.post(f"/api/runs/{second.json()['id']}/cancel")
        wait_done(ada, second.json()["id"])
