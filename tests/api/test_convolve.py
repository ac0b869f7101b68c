"""POST /api/convolve, /api/images, GET /api/kernels."""

from __future__ import annotations

import io

import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient
from PIL import Image

from server.net.lab.convolve import TEXTBOOK, TEXTBOOK_KERNEL


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_textbook_padding_stride(client: TestClient) -> None:
    body = {"preset": "textbook", "kernel": [[TEXTBOOK_KERNEL]], "bias": [1], "padding": 1}
    r = client.post("/api/convolve", json={**body, "stride": 2})
    assert r.status_code == 200, r.text
    got = r.json()
    want = F.conv2d(
        torch.tensor([[TEXTBOOK]]).float(),
        torch.tensor([[TEXTBOOK_KERNEL]]).float(),
        torch.tensor([1.0]),
        stride=2,
        padding=1,
    )[0]
    assert got["window"]["output"] == want.tolist()
    assert got["output_shape"] == [1, 3, 3]
    assert got["formula"].startswith("floor((5 + 2*1 - 3)/2) + 1 = 3")
    assert len(got["window"]["padded"][0]) == 7 and got["window"]["padded"][0][0] == [0] * 7
    assert got["output_images"][0]["src"].startswith("data:image/png")


def test_raw_multichannel_input(client: TestClient) -> None:
    x = torch.randint(0, 4, (3, 4, 4)).float()
    w = torch.randint(-1, 2, (2, 3, 2, 2)).float()
    r = client.post("/api/convolve", json={"input": x.tolist(), "kernel": w.tolist()})
    assert r.status_code == 200, r.text
    assert r.json()["window"]["output"] == F.conv2d(x[None], w)[0].tolist()


def test_maxpool_returns_indices(client: TestClient) -> None:
    r = client.post("/api/convolve", json={"preset": "textbook", "op": "maxpool", "kernel_size": 2})
    got = r.json()
    assert got["pad_value"] == "-inf" and got["output_shape"] == [1, 4, 4]
    pad = got["window"]["padded"][0]
    for i, row in enumerate(got["window"]["indices"][0]):
        for j, (rr, cc) in enumerate(row):
            assert pad[rr][cc] == got["window"]["output"][0][i][j]


def test_large_image_sends_a_window_and_pngs(client: TestClient) -> None:
    r = client.post(
        "/api/convolve",
        json={
            "preset": "china",
            "mode": "RGB",
            "size": 96,
            "kernel_name": "sobel_x",
            "padding": 1,
            "focus": [30, 40],
        },
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["input_shape"] == [3, 64, 96] and got["output_shape"] == [1, 64, 96]
    assert len(got["window"]["output"][0]) == 8 and got["window"]["out_row"] == 26
    assert len(r.content) < 200_000


def test_bad_requests_are_clear_4xx(client: TestClient) -> None:
    big = client.post("/api/convolve", json={"preset": "textbook", "kernel": [[[[1] * 7] * 7]]})
    assert big.status_code == 422 and "padded input" in big.json()["detail"]
    both = client.post("/api/convolve", json={"preset": "textbook", "input": [[1]]})
    assert both.status_code == 422 and "exactly one" in both.json()["detail"]
    name = client.post("/api/convolve", json={"preset": "textbook", "kernel_name": "x"})
    assert name.status_code == 422 and "sobel_x" in name.json()["detail"]
    gone = client.post("/api/convolve", json={"image_id": "nope", "kernel_name": "sobel_x"})
    assert gone.status_code == 404
    ragged = client.post("/api/convolve", json={"input": [[1, 2], [3]], "kernel_name": "identity"})
    assert ragged.status_code == 422
    assert client.get("/api/health").status_code == 200  # still up


def test_upload_then_convolve(client: TestClient) -> None:
    img = Image.new("L", (40, 30), 0)
    img.paste(255, (20, 0, 40, 30))  # a vertical edge
    up = client.post("/api/images", files={"file": ("edge.png", _png(img), "image/png")})
    assert up.status_code == 200, up.text
    assert up.json()["width"] == 40
    r = client.post("/api/convolve", json={"image_id": up.json()["id"], "kernel_name": "sobel_x"})
    assert r.status_code == 200, r.text
    assert r.json()["output_images"][0]["max"] == 4.0  # the edge responds fully


def test_upload_refusals(client: TestClient) -> None:
    junk = client.post("/api/images", files={"file": ("x.png", b"hello", "image/png")})
    assert junk.status_code == 422 and "not an image" in junk.json()["detail"]
    bomb = _png(Image.new("1", (20_000, 20_000)))
    r = client.post("/api/images", files={"file": ("bomb.png", bomb, "image/png")})
    assert r.status_code == 413 and "pixels" in r.json()["detail"]


def test_kernels_list(client: TestClient) -> None:
    names = [k["name"] for k in client.get("/api/kernels").json()]
    assert {"sobel_x", "gaussian", "emboss"} <= set(names)


def test_empty_and_non_finite_numbers_are_422_naming_the_field(client: TestClient) -> None:
    # issue 13: an empty input was a 500; NaN and 1e39 came back as 200 with nulls
    import json

    def post(body: dict) -> object:
        return client.post(
            "/api/convolve",
            content=json.dumps(body).encode(),  # json.dumps writes NaN and Infinity
            headers={"content-type": "application/json"},
        )

    cases = [
        ({"input": [], "kernel_name": "identity"}, "input"),
        ({"input": [[]], "kernel_name": "identity"}, "input"),
        ({"input": [[1, float("nan")]], "kernel_name": "identity"}, "input"),
        ({"input": [[1, 1e39]], "kernel_name": "identity"}, "input"),
        ({"input": [[1, 2], [3, 4]], "kernel": [[[[float("inf")]]]]}, "kernel"),
        ({"input": [[1, 2], [3, 4]], "kernel": []}, "kernel"),
        ({"input": [[1, 2], [3, 4]], "kernel": [[[[1]]]], "bias": [float("nan")]}, "bias"),
        ({"input": [[1, 2], [3, 4]], "kernel": [[[[3e38]]]]}, "overflows"),
    ]
    for body, field in cases:
        r = post(body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["detail"], (body, r.text)
    ok = post({"input": [[1, 2], [3, 4]], "kernel": [[[[2]]]]})
    assert ok.status_code == 200 and ok.json()["window"]["output"] == [[[2.0, 4.0], [6.0, 8.0]]]
