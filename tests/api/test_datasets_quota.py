"""Uploaded datasets' total disk bound, CNNPLAY_MAX_DATASETS_BYTES (issue 13)."""

from __future__ import annotations

from pathlib import Path

from server.config import Settings
from server.net.data import uploaded
from tests.api.test_datasets import upload
from tests.clients import open_client
from tests.net.data.test_archive import good_zip


def test_uploads_stop_at_the_total_bound_with_a_409_naming_it(tmp_path: Path) -> None:
    # One upload of good_zip(): 6 grey images stored at 64 x 64, 24,576 bytes of pixels.
    settings = Settings(data_dir=tmp_path / "d", max_datasets_bytes=40_000, warm_workers=0)
    with open_client(settings) as c:
        assert upload(c, good_zip()).status_code == 201
        used = uploaded.bytes_used(settings.data_dir)
        assert 24_576 < used < 40_000
        r = upload(c, good_zip())
        assert r.status_code == 409
        detail = r.json()["detail"]
        assert "CNNPLAY_MAX_DATASETS_BYTES" in detail and f"{used:,}" in detail
        assert len(uploaded.list_all(settings.data_dir)) == 1  # nothing more was written
        name = c.get("/api/datasets").json()[-1]["name"]
        assert c.delete(f"/api/datasets/{name}").status_code == 204  # room again
        assert upload(c, good_zip()).status_code == 201


def test_a_dataset_larger_than_the_bound_is_refused_whole(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", max_datasets_bytes=10_000, warm_workers=0)
    with open_client(settings) as c:
        r = upload(c, good_zip())
        assert r.status_code == 409  # 24,576 bytes of pixels + 6 int64 labels
        assert "needs 24,624 bytes" in r.json()["detail"]
        assert uploaded.bytes_used(settings.data_dir) == 0
