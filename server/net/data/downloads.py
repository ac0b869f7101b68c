"""Datasets downloaded on demand: full MNIST, Fashion-MNIST (IDX gz) and CIFAR-10 (python tar.gz).

Files land in <data dir>/datasets/<name>/. Each is streamed into a ".part" file while its
checksum is computed (server/net/data/stream.py); only a file whose checksum matches the
published one is renamed into place (os.replace), so a file that is there is a verified
file, and a mismatch is deleted and refused. Progress (bytes done / total) goes to a callback.

The checksums are the ones the datasets publish (MD5, as on the CIFAR page and in the
Fashion-MNIST README; torchvision checks the same values). MD5 is used for integrity
here, not security: the URLs are fixed by the server, never sent by a client.

CIFAR-10's batches are Python pickles. They are read with an Unpickler that resolves
nothing but numpy's array reconstruction, from a file whose checksum was verified, and
never unpacked to disk (members are read from the tar by their known names).
"""

from __future__ import annotations

import gzip
import io
import pickle
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from server.net.data import stream
from server.net.data.mnist import MnistError, parse_idx
from server.net.data.stream import ChecksumMismatch as ChecksumMismatch  # re-exported
from server.net.data.stream import DownloadError, Remote

Progress = Callable[[int, int], None]  # (bytes done, bytes total) over all of a set's files


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    channels: int
    height: int
    width: int
    class_names: tuple[str, ...]
    train_size: int
    val_size: int
    files: tuple[Remote, ...]
    kind: str  # "idx" | "cifar"


_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION_URL = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
)
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
CIFAR_DIR = "cifar-10-batches-py"
CIFAR_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))


def _idx_files(base_url: str, md5s: tuple[str, ...], sizes: tuple[int, ...]) -> tuple[Remote, ...]:
    """The four IDX files of an MNIST-format set under `base_url`, with their published
    MD5s and sizes (in IDX_NAMES order)."""
    return tuple(
        Remote(n, base_url + n, d, size) for n, d, size in zip(IDX_NAMES, md5s, sizes, strict=True)
    )


SOURCES: dict[str, Source] = {
    "mnist_full": Source(
        "mnist_full",
        "MNIST, full set (60,000 / 10,000)",
        1,
        28,
        28,
        tuple(str(d) for d in range(10)),
        60_000,
        10_000,
        _idx_files(
            _MNIST_URL,
            (
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "d53e105ee54ea40749a09fcbcd1e9432",
                "9fb629c4189551a2d022fa330f9573f3",
                "ec29112dd5afa0611ce80d1b7f02629c",
            ),
            (9_912_422, 28_881, 1_648_877, 4_542),
        ),
        "idx",
    ),
    "fashion_mnist": Source(
        "fashion_mnist",
        "Fashion-MNIST (60,000 / 10,000)",
        1,
        28,
        28,
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        60_000,
        10_000,
        _idx_files(
            _FASHION_URL,
            (
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "25c81989df183df01b3e8a0aad5dffbe",
                "bef4ecab320f06d8554ea6380940ec79",
                "bb300cfdad3c16e7a12a480ee83cd310",
            ),
            (26_421_880, 29_515, 4_422_102, 5_148),
        ),
        "idx",
    ),
    "cifar10": Source(
        "cifar10",
        "CIFAR-10, colour photos (50,000 / 10,000)",
        3,
        32,
        32,
        (
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        50_000,
        10_000,
        (
            Remote(
                "cifar-10-python.tar.gz",
                _CIFAR_URL,
                "c58f30108f718f92721af3b95e74349a",
                170_498_071,
            ),
        ),
        "cifar",
    ),
}


class CorruptDataset(ValueError):
    """A cached file does not parse as the dataset it should be."""


def folder(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / "datasets" / name


def is_ready(name: str, data_dir: Path) -> bool:
    """Every file is in place (and so was verified when it was renamed there)."""
    root = folder(data_dir, name)
    return all((root / f.filename).is_file() for f in SOURCES[name].files)


def fetch(
    name: str,
    data_dir: Path,
    on_progress: Progress = lambda done, total: None,
    timeout: float = 60.0,
) -> Path:
    """Download every missing file of `name`; returns its folder. Raises DownloadError."""
    source = SOURCES[name]
    root = folder(data_dir, name)
    root.mkdir(parents=True, exist_ok=True)
    total = sum(f.size for f in source.files)
    done = sum(f.size for f in source.files if (root / f.filename).is_file())
    on_progress(done, total)
    for remote in source.files:
        target = root / remote.filename
        if target.is_file():
            continue
        base = done
        done = base + stream.fetch(
            remote, target, lambda n, _size, base=base: on_progress(base + n, total), timeout
        )
    on_progress(total, total)
    return root


# --- reading the cached files ----------------------------------------------------------

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x (N,C,H,W) uint8, y, vx, vy


def load_arrays(name: str, data_dir: Path) -> Arrays:
    """(train images, train labels, test images, test labels); images uint8 (N, C, H, W)."""
    source = SOURCES[name]
    root = folder(data_dir, name)
    if not is_ready(name, root.parent.parent):
        raise CorruptDataset(
            f"dataset {name!r} is not downloaded; POST /api/datasets/{name}/download"
        )
    if source.kind == "idx":
        return _load_idx(root, source)
    return _load_cifar(root / source.files[0].filename)


def _idx(path: Path) -> np.ndarray:
    try:
        return parse_idx(gzip.decompress(path.read_bytes()))
    except (OSError, EOFError, MnistError) as exc:
        raise CorruptDataset(f"{path.name}: {exc}") from exc


def _load_idx(root: Path, source: Source) -> Arrays:
    x, y, vx, vy = (_idx(root / n) for n in IDX_NAMES)
    for images, labels, what in ((x, y, "train"), (vx, vy, "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise CorruptDataset(
                f"{source.name} {what}: images {images.shape} and labels {labels.shape} "
                "do not pair up"
            )
        if labels.size and int(labels.max()) >= len(source.class_names):
            raise CorruptDataset(
                f"{source.name} {what}: a label is over {len(source.class_names) - 1}"
            )
    # Copies: parse_idx gives read-only views of the decompressed bytes.
    return x[:, None].copy(), y.astype(np.int64), vx[:, None].copy(), vy.astype(np.int64)


class _ArraysOnly(pickle.Unpickler):
    """Resolves only what a pickled numpy array needs; anything else is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),  # how protocol 2 writes bytes from Python 3 (harmless)
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR batch")
        return super().find_class(module, name)


def _batch(tar: tarfile.TarFile, member: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        f = tar.extractfile(f"{CIFAR_DIR}/{member}")
        if f is None:
            raise KeyError(member)
        d = _ArraysOnly(io.BytesIO(f.read()), encoding="bytes").load()
        data = np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)  # rows of RGB planes
        labels = np.asarray(d[b"labels"], dtype=np.int64)
    except (KeyError, pickle.UnpicklingError, ValueError, TypeError, EOFError) as exc:
        raise CorruptDataset(f"CIFAR-10 {member}: {exc}") from exc
    if len(data) != len(labels) or (labels.size and not 0 <= labels.min() <= labels.max() <= 9):
        raise CorruptDataset(f"CIFAR-10 {member}: images and labels do not pair up")
    return data, labels


def _load_cifar(path: Path) -> Arrays:
    try:
        with tarfile.open(path, "r:gz") as tar:
            parts = [_batch(tar, m) for m in CIFAR_TRAIN]
            vx, vy = _batch(tar, "test_batch")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise CorruptDataset(f"{path.name}: {exc}") from exc
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return x, y, vx, vy


# --- background downloads (the API starts them; it is I/O, not a training job) ---------


@dataclass
class State:
    status: str = "idle"  # "idle" | "downloading" | "failed" | "done"
    done: int = 0
    total: int = 0
    error: str | None = None


class Manager:
    """One background thread per dataset being fetched, with its progress; thread-safe."""

    def __init__(self, data_dir: Path, timeout: float = 60.0) -> None:
        import threading

        self.data_dir = Path(data_dir)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._states: dict[str, State] = {}
        self._threads: dict[str, threading.Thread] = {}

    def state(self, name: str) -> State:
        with self._lock:
            s = self._states.get(name, State())
            return State(s.status, s.done, s.total, s.error)

    def start(self, name: str) -> State:
        """Start fetching `name` unless it is ready or already on its way."""
        import threading

        if name not in SOURCES:
            raise KeyError(name)
        with self._lock:
            if self._states.get(name, State()).status == "downloading":
                return self._states[name]
            total = sum(f.size for f in SOURCES[name].files)
            self._states[name] = State("downloading", 0, total)
            thread = threading.Thread(
                target=self._run, args=(name,), name=f"download-{name}", daemon=True
            )
            self._threads[name] = thread
        thread.start()
        return self.state(name)

    def wait(self, name: str, timeout: float | None = None) -> State:
        thread = self._threads.get(name)
        if thread is not None:
            thread.join(timeout)
        return self.state(name)

    def _progress(self, name: str, done: int, total: int) -> None:
        with self._lock:
            s = self._states[name]
            s.done, s.total = done, total

    def _run(self, name: str) -> None:
        try:
            fetch(name, self.data_dir, lambda d, t: self._progress(name, d, t), self.timeout)
            load_arrays(name, self.data_dir)  # parses: a verified but unreadable file is an error
        except (DownloadError, CorruptDataset) as exc:
            with self._lock:
                self._states[name].status, self._states[name].error = "failed", str(exc)
            return
        except Exception as exc:  # a thread must not die silently; the list shows why
            with self._lock:
                s = self._states[name]
                s.status, s.error = "failed", f"{type(exc).__name__}: {exc}"
            return
        with self._lock:
            self._states[name].status = "done"
