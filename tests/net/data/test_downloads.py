"""The download cache on local files only: a local HTTP server and fake IDX / CIFAR files
stand in for the real mirrors (no internet in tests)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from server.net.data import downloads
from server.net.data.downloads import CorruptDataset, Remote, Source


def idx(array: np.ndarray) -> bytes:
    """IDX bytes: 0, 0, type 0x08 (uint8), ndim, big-endian sizes, values."""
    head = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return gzip.compress(head + array.astype(np.uint8).tobytes())


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder and the URL of a local HTTP server that serves it."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def fake_mnist(root: Path, url: str, n: int = 30, m: int = 10) -> tuple[Source, dict]:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.arange(n) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (m, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": np.arange(m) % 10,
    }
    files = []
    for name in downloads.IDX_NAMES:
        data = idx(arrays[name])
        (root / name).write_bytes(data)
        files.append(Remote(name, url + name, md5(data), len(data)))
    real = downloads.SOURCES["mnist_full"]
    fake = Source(real.name, real.title, 1, 28, 28, real.class_names, n, m, tuple(files), "idx")
    return fake, arrays


def test_published_checksums_are_in_the_table() -> None:
    # The values torchvision and the datasets' pages publish.
    cifar = downloads.SOURCES["cifar10"].files[0]
    assert cifar.digest == "c58f30108f718f92721af3b95e74349a" and cifar.size == 170_498_071
    mnist = {f.filename: f.digest for f in downloads.SOURCES["mnist_full"].files}
    assert mnist["t10k-images-idx3-ubyte.gz"] == "9fb629c4189551a2d022fa330f9573f3"
    fashion = {f.filename: f.digest for f in downloads.SOURCES["fashion_mnist"].files}
    assert fashion["train-images-idx3-ubyte.gz"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"


def test_fetch_verifies_reports_progress_and_loads(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www, url = served
    fake, arrays = fake_mnist(www, url)
    monkeypatch.setitem(downloads.SOURCES, "mnist_full", fake)
    data_dir = tmp_path / "data"
    assert not downloads.is_ready("mnist_full", data_dir)
    seen: list[tuple[int, int]] = []
    downloads.fetch("mnist_full", data_dir, lambda d, t: seen.append((d, t)))
    assert downloads.is_ready("mnist_full", data_dir)
    total = sum(f.size for f in fake.files)
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    x, y, vx, vy = downloads.load_arrays("mnist_full", data_dir)
    assert x.shape == (30, 1, 28, 28) and vx.shape == (10, 1, 28, 28)
    assert np.array_equal(x[:, 0], arrays["train-images-idx3-ubyte.gz"])
    assert np.array_equal(vy, arrays["t10k-labels-idx1-ubyte.gz"]) and y.dtype == np.int64
    assert not list((data_dir / "datasets" / "mnist_full").glob("*.part"))


def test_a_checksum_mismatch_is_refused_and_deleted(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www, url = served
    fake, _ = fake_mnist(www, url)
    bad = list(fake.files)
    bad[2] = Remote(bad[2].filename, bad[2].url, "0" * 32, bad[2].size)
    monkeypatch.setitem(
        downloads.SOURCES, "mnist_full", Source(**{**fake.__dict__, "files": tuple(bad)})
    )
    data_dir = tmp_path / "data"
    with pytest.raises(downloads.ChecksumMismatch, match="t10k-images-idx3-ubyte.gz"):
        downloads.fetch("mnist_full", data_dir)
    folder = data_dir / "datasets" / "mnist_full"
    assert sorted(p.name for p in folder.iterdir()) == sorted(downloads.IDX_NAMES[:2])
    assert not downloads.is_ready("mnist_full", data_dir)


def test_a_missing_file_is_a_download_error(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www, url = served
    fake, _ = fake_mnist(www, url)
    (www / downloads.IDX_NAMES[0]).unlink()
    monkeypatch.setitem(downloads.SOURCES, "mnist_full", fake)
    with pytest.raises(downloads.DownloadError, match="404"):
        downloads.fetch("mnist_full", tmp_path / "data")
    assert not list((tmp_path / "data" / "datasets" / "mnist_full").iterdir())


def cifar_tar(path: Path, per_batch: int = 4, evil: bool = False) -> np.ndarray:
    """A tar.gz shaped like cifar-10-python.tar.gz; returns the first batch's rows."""
    rng = np.random.default_rng(1)
    first = None
    with tarfile.open(path, "w:gz") as tar:
        for member in (*downloads.CIFAR_TRAIN, "test_batch"):
            rows = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
            first = rows if first is None else first
            batch: object = {b"data": rows, b"labels": [i % 10 for i in range(per_batch)]}
            if evil and member == "data_batch_2":
                batch = Evil()
            data = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"{downloads.CIFAR_DIR}/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert first is not None
    return first


class Evil:
    def __reduce__(self) -> tuple:
        return (os.system, ("touch /tmp/cnnplay-pwned",))


def _cifar_source(path: Path, url: str) -> Source:
    data = path.read_bytes()
    real = downloads.SOURCES["cifar10"]
    remote = Remote(real.files[0].filename, url + path.name, md5(data), len(data))
    return Source(**{**real.__dict__, "files": (remote,)})


def test_cifar_batches_are_rgb_planes(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www, url = served
    rows = cifar_tar(www / "c.tar.gz")
    monkeypatch.setitem(downloads.SOURCES, "cifar10", _cifar_source(www / "c.tar.gz", url))
    downloads.fetch("cifar10", tmp_path / "data")
    x, y, vx, vy = downloads.load_arrays("cifar10", tmp_path / "data")
    assert x.shape == (20, 3, 32, 32) and vx.shape == (4, 3, 32, 32)
    # A row is 1024 red, 1024 green, 1024 blue values, each plane row-major.
    assert x[0, 0, 0, 1] == rows[0, 1] and x[0, 1, 0, 0] == rows[0, 1024]
    assert x[0, 2, 31, 31] == rows[0, 3071]
    assert list(y[:4]) == [0, 1, 2, 3]


def test_cifar_pickles_cannot_run_code(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www, url = served
    cifar_tar(www / "c.tar.gz", evil=True)
    monkeypatch.setitem(downloads.SOURCES, "cifar10", _cifar_source(www / "c.tar.gz", url))
    downloads.fetch("cifar10", tmp_path / "data")
    with pytest.raises(CorruptDataset, match="system is not allowed"):
        downloads.load_arrays("cifar10", tmp_path / "data")
    assert not Path("/tmp/cnnplay-pwned").exists()


def test_manager_downloads_in_the_background(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www, url = served
    fake, _ = fake_mnist(www, url)
    monkeypatch.setitem(downloads.SOURCES, "mnist_full", fake)
    manager = downloads.Manager(tmp_path / "data")
    assert manager.state("mnist_full").status == "idle"
    assert manager.start("mnist_full").status in ("downloading", "done")
    state = manager.wait("mnist_full", timeout=30)
    assert state.status == "done" and state.done == state.total > 0
    assert downloads.is_ready("mnist_full", tmp_path / "data")


def test_manager_reports_a_failure(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www, url = served
    fake, _ = fake_mnist(www, url)
    (www / downloads.IDX_NAMES[1]).write_bytes(b"tampered")
    monkeypatch.setitem(downloads.SOURCES, "mnist_full", fake)
    manager = downloads.Manager(tmp_path / "data")
    manager.start("mnist_full")
    state = manager.wait("mnist_full", timeout=30)
    assert state.status == "failed" and "does not match" in (state.error or "")
