"""POST /api/learning/transposed: the panel's numbers, limits as 422s naming the field."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_spreads_and_reports_the_checkerboard(client: TestClient) -> None:
    r = client.post("/api/learning/transposed", json={"n": 3, "kernel_size": 3, "stride": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["output"]) == 7 and len(body["steps"]) == 9
    assert body["input"][0] == [1.0, 2.0, 3.0] and body["kernel"] == [[1.0] * 3] * 3
    assert body["checkerboard"] is True and body["overlap"][2][2] == 4
    assert body["formula"] == "(3 - 1)*2 - 2*0 + 1*(3 - 1) + 0 + 1 = 7"


def test_limits_and_bad_numbers_are_422s(client: TestClient) -> None:
    r = client.post("/api/learning/transposed", json={"n": 9})
    assert r.status_code == 422 and "CNNPLAY_MAX_TRANSPOSED_INPUT" in r.json()["detail"]
    r = client.post("/api/learning/transposed", json={"kernel_size": 6})
    assert r.status_code == 422 and r.json()["detail"].startswith("kernel_size: at most 5")
    r = client.post("/api/learning/transposed", json={"stride": 2, "output_padding": 2})
    assert r.status_code == 422 and "output_padding" in r.json()["detail"]
    r = client.post("/api/learning/transposed", json={"input": "zeros"})
    assert r.status_code == 422
