"""Datasets a run can train on, by name (issue 6):

- "mnist": the shipped MNIST test set, split 8,000 / 2,000 (server/net/data/mnist.py)
- "digits": scikit-learn's 8x8 digits, split 80/20 stratified
- "shapes": synthetic circles, squares, triangles and lines in colour (server/net/data/synthetic.py)
- "shapes_masks": the same shapes with a class per pixel, for segmentation (data/masks.py)
- "mnist_full", "fashion_mnist", "cifar10": downloaded on demand (server/net/data/downloads.py)
- "upload:<id>": a user's zip of one folder per class (server/net/data/archive.py, uploaded.py)

`load` gives (train, held-out) pairs of float tensors in [0, 1], (N, C, H, W), and int64
labels (N,), or for a segmentation set (Info.task) int64 masks (N, H, W). Images are
resized to the network's input height and width (bilinear; masks nearest), and converted
to its channel count: RGB -> grey by luminance for a 1-channel network, grey ->
three equal channels for a 3-channel one; other mismatches are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from server.net.data import downloads, masks, mnist, subsets, synthetic, uploaded
from server.net.data.subsets import Raw

BUILTIN = ("mnist", "digits", "shapes", masks.SHAPES_MASKS)
NAMES = BUILTIN + tuple(downloads.SOURCES)  # every name that is not an upload
DIGITS_SPLIT_SEED = 20240502
DIGITS_TRAIN_FRACTION = 0.8
SHAPES_SEED = 20261123
SHAPES_TRAIN, SHAPES_VAL = 2_000, 500
SHAPES_SIDE = 32  # listed size; generated at the network's size up to SHAPES_MAX_SIDE
SHAPES_MAX_SIDE = 64  # larger inputs get 64x64 shapes upscaled (memory stays bounded)
DIGIT_NAMES = tuple(str(d) for d in range(10))


class UnknownDataset(ValueError):
    """No dataset has this name (-> 422 naming it)."""


class DatasetNotReady(ValueError):
    """Known but not on disk: a download not done yet, or a deleted upload."""


class ChannelMismatch(ValueError):
    """The network's input channels cannot be made from the dataset's."""


class _RawMax(dict[str, float]):
    """Pixel maximum before [0, 1] scaling, for normalize="none"; 8-bit unless listed."""

    def __missing__(self, key: str) -> float:
        return 255.0


RAW_MAX: dict[str, float] = _RawMax({"digits": 16.0})


@dataclass(frozen=True)
class Info:
    name: str
    title: str
    kind: str  # "builtin" | "download" | "upload"
    channels: int
    height: int
    width: int
    class_names: tuple[str, ...]
    train_size: int
    val_size: int
    task: str = "classification"  # or "segmentation": masks instead of labels (issue 16)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


_BUILTIN_INFO = {
    "mnist": Info(
        "mnist",
        "MNIST digits, 28x28 (8,000 train / 2,000 held out)",
        "builtin",
        1,
        28,
        28,
        DIGIT_NAMES,
        mnist.TRAIN_SIZE,
        mnist.HELDOUT_SIZE,
    ),
    "digits": Info(
        "digits",
        "scikit-learn digits, 8x8 (upscaled to the network input)",
        "builtin",
        1,
        8,
        8,
        DIGIT_NAMES,
        1_438,
        359,
    ),
    "shapes": Info(
        "shapes",
        "Synthetic shapes, colour (circle, square, triangle, line)",
        "builtin",
        3,
        SHAPES_SIDE,
        SHAPES_SIDE,
        synthetic.CLASSES,
        SHAPES_TRAIN,
        SHAPES_VAL,
    ),
    masks.SHAPES_MASKS: Info(
        masks.SHAPES_MASKS,
        "Synthetic shapes with masks, 64x64 colour (segmentation: a class per pixel)",
        "builtin",
        3,
        masks.SIDE,
        masks.SIDE,
        synthetic.MASK_CLASSES,
        masks.TRAIN,
        masks.VAL,
        masks.TASK,
    ),
}
TITLES = {n: i.title for n, i in _BUILTIN_INFO.items()} | {
    n: s.title for n, s in downloads.SOURCES.items()
}
NUM_CLASSES = {n: i.num_classes for n, i in _BUILTIN_INFO.items()} | {
    n: len(s.class_names) for n, s in downloads.SOURCES.items()
}


@dataclass(frozen=True)
class Split:
    x_train: torch.Tensor  # (N, C, H, W) float32 in [0, 1]
    y_train: torch.Tensor  # (N,) int64
    x_val: torch.Tensor  # (M, C, H, W)
    y_val: torch.Tensor  # (M,)
    num_classes: int
    channels: int = 1
    class_names: tuple[str, ...] = ()
    raw_max: float = 255.0
    task: str = "classification"


def _upload_id(name: str) -> str | None:
    if name.startswith(uploaded.PREFIX):
        return name[len(uploaded.PREFIX) :]
    return None


def is_name(name: str) -> bool:
    """Whether `name` could name a dataset (an upload may still not exist)."""
    uid = _upload_id(name)
    return name in NAMES or (uid is not None and bool(uploaded.ID.match(uid)))


def info(name: str, data_dir: Path | None = None) -> Info:
    """What a dataset is (no pixels loaded). Raises UnknownDataset."""
    if name in _BUILTIN_INFO:
        return _BUILTIN_INFO[name]
    if name in downloads.SOURCES:
        s = downloads.SOURCES[name]
        return Info(
            name, s.title, "download", s.channels, s.height, s.width, s.class_names,
            s.train_size, s.val_size,
        )  # fmt: skip
    uid = _upload_id(name)
    if uid is not None and data_dir is not None:
        try:
            m = uploaded.manifest(data_dir, uid)
            return Info(
                name, str(m["title"]), "upload", int(m["channels"]), int(m["height"]),
                int(m["width"]), tuple(m["class_names"]), int(m["train_size"]),
                int(m["val_size"]), str(m.get("task", "classification")),
            )  # fmt: skip
        except (uploaded.NotFound, KeyError, TypeError, ValueError):
            pass  # gone, or a manifest that is not ours: not a dataset
    known = ", ".join(NAMES)
    raise UnknownDataset(f"unknown dataset {name[:80]!r}; known: {known} or upload:<id>")


def catalog(data_dir: Path) -> list[Info]:
    """Every dataset: built-in, downloadable (ready or not) and uploaded."""
    out = [info(n) for n in NAMES]
    for m in uploaded.list_all(data_dir):
        out.append(info(m["name"], data_dir))
    return out


def ready(name: str, data_dir: Path | None) -> bool:
    if name in _BUILTIN_INFO:
        return True
    if name in downloads.SOURCES:
        return data_dir is not None and downloads.is_ready(name, Path(data_dir))
    try:
        info(name, data_dir)
    except UnknownDataset:
        return False
    return True


@lru_cache(maxsize=1)
def _digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified 80/20 split of the 1,797 digits, fixed by a seed."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 16.0  # (1797, 8, 8), values 0..16
    labels = bunch.target.astype(np.int64)
    rng = np.random.default_rng(DIGITS_SPLIT_SEED)
    train: list[np.ndarray] = []
    held: list[np.ndarray] = []
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        rng.shuffle(idx)
        k = round(len(idx) * DIGITS_TRAIN_FRACTION)
        train.append(idx[:k])
        held.append(idx[k:])
    tr, he = np.sort(np.concatenate(train)), np.sort(np.concatenate(held))
    return images[tr], labels[tr], images[he], labels[he]


@lru_cache(maxsize=2)
def _shapes(height: int, width: int) -> tuple[torch.Tensor, ...]:
    x, y = synthetic.generate(SHAPES_TRAIN, height, width, SHAPES_SEED)
    vx, vy = synthetic.generate(SHAPES_VAL, height, width, SHAPES_SEED + 1)
    return x, y, vx, vy


@lru_cache(maxsize=1)
def _downloaded(name: str, data_dir: str) -> tuple[np.ndarray, ...]:
    return downloads.load_arrays(name, Path(data_dir))  # read only: load() copies


def _raw(name: str, height: int, width: int, data_dir: Path | None) -> Raw:
    """Images uint8 or float in [0, 1] at the dataset's own size (shapes: near the network's)."""
    if name == "mnist":
        train_idx, held_idx = mnist.split()  # the shared fixed 8,000 / 2,000 split
        x, y = mnist.tensors(train_idx, normalize=False)
        vx, vy = mnist.tensors(held_idx, normalize=False)
        return x, y, vx, vy
    if name == "digits":
        x, y, vx, vy = _digits_split()
        return (
            torch.from_numpy(x).unsqueeze(1),
            torch.from_numpy(y),
            torch.from_numpy(vx).unsqueeze(1),
            torch.from_numpy(vy),
        )
    if name == "shapes":
        h, w = height, width
        if max(h, w) > SHAPES_MAX_SIDE:
            scale = SHAPES_MAX_SIDE / max(h, w)
            h, w = max(1, round(h * scale)), max(1, round(w * scale))
        return _shapes(h, w)  # type: ignore[return-value]
    if name == masks.SHAPES_MASKS:  # generated at the network's size, up to 64x64
        h, w = height, width
        if max(h, w) > SHAPES_MAX_SIDE:
            scale = SHAPES_MAX_SIDE / max(h, w)
            h, w = max(1, round(h * scale)), max(1, round(w * scale))
        return masks.shapes_masks(h, w)  # type: ignore[return-value]
    info(name, data_dir)  # UnknownDataset first
    if not ready(name, data_dir) or data_dir is None:
        raise DatasetNotReady(
            f"dataset {name!r} is not on this server yet; download it first "
            f"(POST /api/datasets/{name}/download)"
        )
    if name in downloads.SOURCES:
        arrays = _downloaded(name, str(data_dir))
    else:
        arrays = uploaded.load(Path(data_dir), _upload_id(name) or "")
    x, y, vx, vy = (torch.from_numpy(np.asarray(a)) for a in arrays)
    return x, y.long(), vx, vy.long()


def _float(x: torch.Tensor) -> torch.Tensor:
    """A float32 copy in [0, 1]: callers may change it without touching a cached set."""
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x.to(torch.float32, copy=True)


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Once per load, never per batch: (N, C, h, w) -> (N, C, *size). Shrinking (an upload
    stored at 224 for a 28x28 network) averages with antialias, as PIL does, rather than
    sampling every 8th pixel."""
    if tuple(x.shape[-2:]) == size:
        return x
    shrink = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    out = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=shrink)
    return out.clamp(0, 1)


def convert_channels(x: torch.Tensor, channels: int, name: str = "the dataset") -> torch.Tensor:
    """(N, C, H, W) -> (N, channels, H, W): RGB -> grey (luminance), grey -> RGB (copies)."""
    have = x.shape[1]
    if have == channels:
        return x
    if have == 3 and channels == 1:
        return synthetic.to_gray(x)
    if have == 1 and channels == 3:
        return x.expand(-1, 3, -1, -1).contiguous()
    raise ChannelMismatch(
        f"{name} has {have}-channel images; a network with {channels} input channels cannot "
        "use them (1 and 3 convert into each other)"
    )


def can_convert(have: int, want: int) -> bool:
    return have == want or {have, want} == {1, 3}


def sizes(name: str, data_dir: Path | None = None) -> tuple[int, int]:
    """(train samples, held-out samples), without loading pixels."""
    i = info(name, data_dir)
    return i.train_size, i.val_size


def load(
    name: str,
    height: int,
    width: int,
    train_limit: int | None = None,
    classes: list[int] | None = None,
    per_class: int | None = None,
    seed: int = 0,
    *,
    channels: int | None = None,
    data_dir: Path | str | None = None,
    val_split: float | None = None,
) -> Split:
    """The dataset at (channels, height, width) (channels: the dataset's own when None).
    `train_limit` keeps the first n training samples (a class-balanced prefix is not
    promised; it is for quick runs and tests). `classes` keeps only those labels in both
    parts (relabelled 0..k-1 in order); `per_class` caps each class of the training part
    at n samples (seeded). `val_split`: pool both parts and hold out that fraction,
    stratified and seeded (`resplit`), before the other options; None keeps the dataset's
    own split. `data_dir` is needed for downloaded and uploaded datasets."""
    root = Path(data_dir) if data_dir is not None else None
    meta = info(name, root)
    if meta.task == masks.TASK:
        masks.refuse_options(name, classes, per_class, val_split)
    x, y, vx, vy = _raw(name, height, width, root)
    if val_split is not None:
        x, y, vx, vy = subsets.resplit(x, y, vx, vy, val_split, seed)
    k = meta.num_classes
    names = meta.class_names
    if classes is not None:
        bad = [c for c in classes if not 0 <= c < k]
        if bad:
            raise ValueError(f"classes {bad} are not labels of {name!r} (0..{k - 1})")
        x, y = subsets.select_classes(x, y, classes)
        vx, vy = subsets.select_classes(vx, vy, classes)
        k = len(classes)
        names = tuple(meta.class_names[c] for c in classes)
    if per_class is not None:
        x, y = subsets.cap_per_class(x, y, per_class, seed)
    if train_limit is not None:
        x, y = x[:train_limit], y[:train_limit]
    want = channels or meta.channels

    def prepare(t: torch.Tensor) -> torch.Tensor:
        return convert_channels(_resize(_float(t), (height, width)), want, repr(name))

    if meta.task == masks.TASK:  # masks follow their images to the network's size
        y, vy = masks.resize(y, (height, width)), masks.resize(vy, (height, width))
    return Split(prepare(x), y, prepare(vx), vy, k, want, names, RAW_MAX[name], meta.task)
