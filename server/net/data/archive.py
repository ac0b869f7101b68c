"""An uploaded zip of one folder per class -> checked, decoded, resized image arrays.

Everything about the archive is checked from its central directory BEFORE a byte is
decompressed or written (issue 6, DESIGN.md "archives are checked ... before anything is
written"): entry names (absolute paths, drive letters, "..", symlinks, encrypted entries),
the entry count, the total unpacked size and each entry's compression ratio. Then each
image is decoded with Pillow under the pixel limit and an allowlist of formats
(server/net/data/images.py), centre-cropped to a square and resized to side x side. The
side is the largest short side among the images, kept between `Limits.side` and
`Limits.max_side` (so photos keep the 224 pixels an ImageNet network wants, issue 17, and
tiny images are not stored tinier than before); the stored bytes are bounded first.

Files that are not images by their extension (README.txt, .DS_Store, __MACOSX/...) are
skipped and counted, not refused; a file named like an image that does not decode is
refused with its name. One optional top folder is allowed (zipping the folder "pets/"
gives pets/cat/1.png, pets/dog/2.png): the classes are then its subfolders.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from PIL import Image

from server.net.data.images import FORMATS, ImageError, ImageTooLarge, decode_image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"}
RATIO_FLOOR = 64 * 1024  # an entry this small cannot be a bomb; its ratio is not checked
JUNK = ("__MACOSX",)
MAX_CLASS_NAME = 100


class ArchiveError(ValueError):
    """The archive is refused (-> 422); the message names the entry or the rule."""

    status = 422


class ArchiveTooLarge(ArchiveError):
    """Over a size limit (-> 413); the message names the limit and its setting."""

    status = 413


@dataclass(frozen=True)
class Limits:
    max_entries: int = 20_000
    max_bytes: int = 500 << 20  # unpacked, all entries together
    max_ratio: int = 100  # unpacked / packed, per entry (entries over RATIO_FLOOR)
    max_image_pixels: int = 40_000_000  # one image
    max_total_pixels: int = 200_000_000  # all images together, from their headers
    max_images: int = 10_000
    max_classes: int = 100
    side: int = 64  # stored images are at least side x side...
    max_side: int | None = None  # ...and at most this (None: exactly side x side)
    max_stored_bytes: int | None = None  # images x 3 x side x side, checked before decoding


@dataclass
class Plan:
    """What the central directory says: image entries per class and what is skipped."""

    classes: dict[str, list[zipfile.ZipInfo]]
    skipped: list[str] = field(default_factory=list)


@dataclass
class Decoded:
    x: np.ndarray  # (N, C, side, side) uint8, C = 1 when every image is greyscale, else 3
    y: np.ndarray  # (N,) int64, index into class_names
    class_names: list[str]
    skipped: list[str]

    @property
    def counts(self) -> dict[str, int]:
        n = np.bincount(self.y, minlength=len(self.class_names))
        return {c: int(k) for c, k in zip(self.class_names, n, strict=True)}


def _bad_name(name: str) -> str | None:
    """Why an entry name could escape the target folder, or None."""
    if "\x00" in name:
        return "contains a NUL byte"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "is an absolute path"
    if ".." in norm.split("/"):
        return "contains '..'"
    return None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def plan(zf: zipfile.ZipFile, limits: Limits) -> Plan:
    """Check every entry of the central directory; nothing is decompressed here."""
    return _layout(check_entries(zf, limits), limits)


def check_entries(zf: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """The entries, once names, links, encryption, count, sizes and ratios are checked
    (also for a zip of images and masks, server/net/data/mask_archive.py)."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveTooLarge(
            f"the zip has {len(infos):,} entries; the limit is {limits.max_entries:,} "
            "(CNNPLAY_MAX_ARCHIVE_ENTRIES)"
        )
    total = 0
    for info in infos:
        why = _bad_name(info.filename)
        if why:
            raise ArchiveError(f"zip entry {info.filename[:200]!r} {why}; refused (zip-slip)")
        if _is_symlink(info):
            raise ArchiveError(f"zip entry {info.filename[:200]!r} is a symbolic link; refused")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"zip entry {info.filename[:200]!r} is encrypted")
        total += info.file_size
        if total > limits.max_bytes:
            raise ArchiveTooLarge(
                f"the zip unpacks to over {limits.max_bytes:,} bytes (CNNPLAY_MAX_ARCHIVE_BYTES)"
            )
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ArchiveTooLarge(
                f"zip entry {info.filename[:200]!r} unpacks {ratio:,.0f} times its packed size; "
                f"the limit is {limits.max_ratio} (CNNPLAY_MAX_ARCHIVE_RATIO)"
            )
    return infos


def _layout(infos: list[zipfile.ZipInfo], limits: Limits) -> Plan:
    """Group image entries by class folder; collect folders and skipped files."""
    files: list[tuple[tuple[str, ...], zipfile.ZipInfo]] = []
    folders: set[tuple[str, ...]] = set()
    skipped: list[str] = []
    for info in infos:
        parts = tuple(p for p in info.filename.replace("\\", "/").split("/") if p not in ("", "."))
        if not parts:
            continue
        if info.is_dir():
            if not _junk(parts):
                folders.add(parts)
            continue
        for i in range(1, len(parts)):
            folders.add(parts[:i])
        if _junk(parts) or PurePosixPath(parts[-1]).suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append("/".join(parts))
            continue
        files.append((parts, info))
    folders = {f for f in folders if not _junk(f)}
    # One top folder holding class folders: strip it.
    tops = {p[0] for p, _ in files} | {f[0] for f in folders}
    if len(tops) == 1 and files and all(len(p) >= 3 for p, _ in files):
        files = [(p[1:], info) for p, info in files]
        folders = {f[1:] for f in folders if len(f) > 1}
    classes: dict[str, list[zipfile.ZipInfo]] = {}
    for parts, info in files:
        if len(parts) < 2:
            skipped.append("/".join(parts))  # an image outside any class folder
            continue
        classes.setdefault(parts[0], []).append(info)
    for f in sorted(folders):
        if len(f) == 1 and f[0] not in classes:
            raise ArchiveError(f"the folder {f[0][:MAX_CLASS_NAME]!r} has no images")
    if not classes:
        raise ArchiveError(
            "the zip has no images in class folders: put each class's images in a folder "
            "named after the class (cat/1.png, dog/2.png)"
        )
    if len(classes) == 1:
        only = next(iter(classes))
        raise ArchiveError(
            f"the zip has a single class ({only[:MAX_CLASS_NAME]!r}); a classifier needs at "
            "least two class folders"
        )
    if len(classes) > limits.max_classes:
        raise ArchiveTooLarge(
            f"the zip has {len(classes)} class folders; the limit is {limits.max_classes} "
            "(CNNPLAY_MAX_DATASET_CLASSES)"
        )
    for name, members in classes.items():
        if len(name) > MAX_CLASS_NAME:
            raise ArchiveError(
                f"the class folder {name[:40]!r}... is over {MAX_CLASS_NAME} characters"
            )
        if len(members) < 2:
            raise ArchiveError(
                f"the class {name!r} has {len(members)} image; each class needs at least 2 "
                "(one to train on, one held out)"
            )
    n = sum(len(m) for m in classes.values())
    if n > limits.max_images:
        raise ArchiveTooLarge(
            f"the zip has {n:,} images; the limit is {limits.max_images:,} "
            "(CNNPLAY_MAX_DATASET_IMAGES)"
        )
    return Plan(dict(sorted(classes.items())), skipped)


def _junk(parts: tuple[str, ...]) -> bool:
    return parts[0] in JUNK or any(p.startswith(".") for p in parts)


def _square(img: Image.Image, side: int) -> np.ndarray:
    """Centre crop to a square, resize to side x side: (side, side) or (side, side, 3)."""
    w, h = img.size
    s = min(w, h)
    box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
    return np.asarray(img.resize((side, side), Image.Resampling.BILINEAR, box=box))


def _peek_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header, (0, 0) when Pillow cannot read one (decode_image
    then says why)."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            return img.size
    except Exception:  # noqa: BLE001 - any unreadable header is reported by decode_image
        return 0, 0


def _peek(zf: zipfile.ZipFile, p: Plan, limits: Limits) -> list[tuple[int, int]]:
    """(width, height) from each image's header, in plan order; checks the pixels of all
    images together before any is decoded."""
    sizes: list[tuple[int, int]] = []
    pixels = 0
    for name, members in p.classes.items():
        for info in members:
            raw = _entry(zf, info, name)
            sizes.append(_peek_size(raw))
            pixels += sizes[-1][0] * sizes[-1][1]
            if pixels > limits.max_total_pixels:
                raise ArchiveTooLarge(
                    f"the images hold over {limits.max_total_pixels:,} pixels together "
                    "(CNNPLAY_MAX_ARCHIVE_PIXELS)"
                )
    return sizes


def stored_side(sizes: list[tuple[int, int]], limits: Limits) -> int:
    """The side images are stored at: the largest short side, within [side, max_side]."""
    if limits.max_side is None:
        return limits.side
    largest = max((min(w, h) for w, h in sizes), default=limits.side)
    return max(limits.side, min(limits.max_side, largest))


def _entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        where = f"{info.filename[:200]!r} (class {name!r})"
        raise ArchiveError(f"zip entry {where} could not be read: {exc}") from None


def read(data: bytes, limits: Limits) -> Decoded:
    """Check the zip, then decode its images. Raises ArchiveError (422) or ArchiveTooLarge."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"the file is not a zip archive ({exc})") from None
    with zf:
        p = plan(zf, limits)
        side = stored_side(_peek(zf, p, limits), limits)
        n = sum(len(m) for m in p.classes.values())
        if limits.max_stored_bytes is not None and n * 3 * side * side > limits.max_stored_bytes:
            raise ArchiveTooLarge(
                f"{n:,} images stored at {side}x{side} (colour) take {n * 3 * side * side:,} "
                f"bytes; the limit is {limits.max_stored_bytes:,} (CNNPLAY_MAX_DATASET_BYTES)"
            )
        images: list[np.ndarray] = []
        labels: list[int] = []
        for label, (name, members) in enumerate(p.classes.items()):
            for info in members:
                where = f"{info.filename[:200]!r} (class {name!r})"
                raw = _entry(zf, info, name)
                try:
                    img = decode_image(raw, limits.max_image_pixels)
                except ImageTooLarge as exc:
                    raise ArchiveTooLarge(f"image {where}: {exc}") from None
                except ImageError as exc:
                    raise ArchiveError(f"image {where}: {exc}") from None
                images.append(_square(img, side))
                labels.append(label)
    gray = all(a.ndim == 2 for a in images)
    if gray:
        x = np.stack(images)[:, None]  # (N, 1, S, S)
    else:
        rgb = [a if a.ndim == 3 else np.repeat(a[:, :, None], 3, 2) for a in images]
        x = np.stack(rgb).transpose(0, 3, 1, 2)  # (N, S, S, 3) -> (N, 3, S, S)
    return Decoded(
        np.ascontiguousarray(x, dtype=np.uint8),
        np.asarray(labels, dtype=np.int64),
        list(p.classes),
        p.skipped,
    )


def split(y: np.ndarray, held_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, held-out) indices: per class a seeded shuffle, at least one of each."""
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    held: list[np.ndarray] = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        k = min(max(1, round(len(idx) * held_fraction)), len(idx) - 1)
        held.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))
