"""The shipped MNIST: md5-checked, IDX-parsed, a reproducible stratified split."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from server.net.data import mnist


def test_loads_ten_thousand_digits() -> None:
    data = mnist.load()
    assert data.images.shape == (10_000, 28, 28) and data.images.dtype == np.uint8
    assert sorted(set(data.labels.tolist())) == list(range(10))
    assert mnist.md5(mnist.DATA_DIR / mnist.IMAGES) == "9fb629c4189551a2d022fa330f9573f3"


def test_split_is_disjoint_stratified_and_reproducible() -> None:
    train, held = mnist.split()
    assert len(train) == 8_000 and len(held) == 2_000
    assert not set(train.tolist()) & set(held.tolist())
    labels = mnist.load().labels
    share = np.bincount(labels[held], minlength=10) / np.bincount(labels, minlength=10)
    assert np.all(np.abs(share - 0.2) < 0.01)
    mnist.split.cache_clear()
    again, _ = mnist.split()
    assert np.array_equal(train, again)


def test_corrupt_file_is_refused(tmp_path: Path) -> None:
    shutil.copy(mnist.DATA_DIR / mnist.LABELS, tmp_path / mnist.LABELS)
    (tmp_path / mnist.IMAGES).write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 8))
    with pytest.raises(mnist.MnistError, match="md5"):
        mnist.load(tmp_path)


def test_parse_idx_checks_header() -> None:
    with pytest.raises(mnist.MnistError):
        mnist.parse_idx(b"PK\x03\x04")
    arr = mnist.parse_idx(b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(range(6)))
    assert arr.tolist() == [[0, 1, 2], [3, 4, 5]]
