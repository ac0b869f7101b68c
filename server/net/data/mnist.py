"""The shipped MNIST test set (10,000 images) and its fixed 8,000 / 2,000 split.

IDX files are parsed with gzip + numpy (no torchvision); their md5s are checked so a
corrupted or swapped file is refused rather than trained on.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "mnist"
IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"
MD5 = {
    IMAGES: "9fb629c4189551a2d022fa330f9573f3",
    LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
}
SOURCE = "MNIST test set (t10k, 10,000 images), LeCun, Cortes & Burges, CC BY-SA 3.0"
SPLIT_SEED = 20240501
TRAIN_SIZE = 8_000
HELDOUT_SIZE = 2_000
# The usual MNIST normalisation (mean and std of the training pixels in [0, 1]).
MEAN = 0.1307
STD = 0.3081


class MnistError(ValueError):
    """A shipped file is missing, corrupted or not IDX."""


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _verified(name: str, data_dir: Path) -> bytes:
    path = data_dir / name
    if not path.is_file():
        raise MnistError(f"{path} is missing")
    raw = path.read_bytes()
    digest = hashlib.md5(raw).hexdigest()
    if digest != MD5[name]:
        raise MnistError(f"{path} has md5 {digest}; expected {MD5[name]}")
    return gzip.decompress(raw)


def parse_idx(data: bytes) -> np.ndarray:
    """IDX: two zero bytes, a type code (0x08 = uint8), the number of dims, then
    big-endian uint32 sizes and the values."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise MnistError("not an IDX file of unsigned bytes")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(data[4:header], dtype=">u4"))
    values = np.frombuffer(data, dtype=np.uint8, offset=header)
    if values.size != int(np.prod(dims)):
        raise MnistError(f"IDX dims {dims} do not match {values.size} values")
    return values.reshape(dims)


@dataclass(frozen=True)
class Mnist:
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) uint8


@lru_cache(maxsize=2)
def load(data_dir: Path = DATA_DIR) -> Mnist:
    images = parse_idx(_verified(IMAGES, data_dir))
    labels = parse_idx(_verified(LABELS, data_dir))
    if images.shape != (len(labels), 28, 28):
        raise MnistError(f"images {images.shape} do not match {len(labels)} labels")
    images.setflags(write=False)
    labels.setflags(write=False)
    return Mnist(images, labels)


@lru_cache(maxsize=2)
def split(seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held_out), stratified: each digit gives 80% of its images to
    training, so both parts keep the class balance. Sorted, reproducible."""
    labels = load().labels
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    held: list[np.ndarray] = []
    n = len(labels)
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        rng.shuffle(idx)
        k = round(len(idx) * TRAIN_SIZE / n)
        train.append(idx[:k])
        held.append(idx[k:])
    tr, he = np.concatenate(train), np.concatenate(held)
    # Rounding per class can miss the totals by one or two: move the last few across.
    while len(tr) > TRAIN_SIZE:
        he, tr = np.append(he, tr[-1]), tr[:-1]
    while len(tr) < TRAIN_SIZE:
        tr, he = np.append(tr, he[-1]), he[:-1]
    return np.sort(tr), np.sort(he)


def tensors(indices: np.ndarray, normalize: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 1, 28, 28) float32 and (N,) int64 for the given indices."""
    data = load()
    x = torch.from_numpy(data.images[indices].astype(np.float32) / 255.0).unsqueeze(1)
    if normalize:
        x = (x - MEAN) / STD
    y = torch.from_numpy(data.labels[indices].astype(np.int64))
    return x, y


def digit_examples() -> dict[int, int]:
    """One held-out image index per digit, for presets: the first of each class."""
    _, held = split()
    labels = load().labels
    out: dict[int, int] = {}
    for i in held:
        out.setdefault(int(labels[i]), int(i))
    return dict(sorted(out.items()))
