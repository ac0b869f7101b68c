"""POST /api/images: the store is bounded in decoded bytes; too big is refused from the
header (issue 13)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from server.api.images import ImageStore, image_bytes
from server.config import Settings
from server.store import UserRow
from tests.clients import open_client


def _png(w: int, h: int, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h)).save(buf, format="PNG")
    return buf.getvalue()


def _post(client: TestClient, data: bytes) -> object:
    return client.post("/api/images", files={"file": ("a.png", data, "image/png")})


def test_the_store_keeps_decoded_bytes_under_its_budget() -> None:
    store = ImageStore(cap=100, max_bytes=3 * 100 * 100 * 3)
    ann, bob = UserRow("a" * 32, "Ann", "student", ""), UserRow("b" * 32, "Bob", "student", "")
    ids = [store.put(Image.new("RGB", (100, 100)), ann) for _ in range(5)]
    assert len(store) == 3 and store.used == 3 * 30_000
    assert store.get(ids[0], ann) is None and store.get(ids[-1], ann) is not None
    assert store.get(ids[-1], bob) is None  # another student's upload (issue 14)
    assert image_bytes(("x", Image.new("L", (10, 20)))) == 200


def test_one_user_keeps_at_most_per_user_images() -> None:
    store = ImageStore(cap=10, max_bytes=10**9, per_user=2)
    ann, bob = UserRow("a" * 32, "Ann", "student", ""), UserRow("b" * 32, "Bob", "student", "")
    theirs = store.put(Image.new("L", (4, 4)), bob)
    mine = [store.put(Image.new("L", (4, 4)), ann) for _ in range(3)]
    assert store.get(mine[0], ann) is None and store.get(mine[2], ann) is not None
    assert store.get(theirs, bob) is not None and len(store) == 3


def test_uploads_leave_oldest_first_within_the_bytes(settings: Settings) -> None:
    small = settings.model_copy(update={"image_store_bytes": 2 * 300 * 300 * 3})
    with open_client(small) as c:
        ids = [_post(c, _png(300, 300)).json()["id"] for _ in range(4)]
        store = c.app.state.images
        assert len(store) == 2 and store.used <= small.image_store_bytes
        body = {"image_id": ids[0], "kernel_name": "identity"}
        assert c.post("/api/convolve", json=body).status_code == 404  # it left
        body["image_id"] = ids[-1]
        assert c.post("/api/convolve", json=body).status_code == 200


def test_an_image_too_big_for_the_store_is_refused_before_decoding(settings: Settings) -> None:
    small = settings.model_copy(update={"image_store_bytes": 1_000_000})
    with open_client(small) as c:
        r = _post(c, _png(1000, 1000))  # 3 MB decoded, a few KB as PNG
        assert r.status_code == 413
        assert "CNNPLAY_IMAGE_STORE_BYTES" in r.json()["detail"]
        assert "1,000x1,000" in r.json()["detail"]
        assert len(c.app.state.images) == 0
        gray = _post(c, _png(900, 900, "L"))  # 810 KB as one channel: fits
        assert gray.status_code == 200, gray.text
