"""A zip of images with per-pixel masks -> a segmentation dataset (issue 16).

Layout: `images/` and `masks/` side by side (optionally inside one top folder), a mask
for every image under the same file name (its extension may differ: masks are PNG), and
optionally `classes.txt` beside them naming the classes one per line, line 1 being
class 0 (background). A mask is a greyscale or palette PNG whose pixel values are class
indices (0, 1, 2... not colours), the image's size. Without classes.txt the classes are
"background", "class 1", ... up to the largest index used.

The archive passes the same checks as a zip of class folders (server/net/data/archive.py:
names, links, encryption, entry count, sizes, ratios, pixel totals) before anything is
decoded; each image and its mask are centre-cropped by the same box and resized to the
stored side (the mask by nearest neighbour, so no class is invented).
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
from PIL import Image

from server.net.data.archive import (
    IMAGE_SUFFIXES,
    MAX_CLASS_NAME,
    ArchiveError,
    ArchiveTooLarge,
    Decoded,
    Limits,
    check_entries,
    read,
)
from server.net.data.images import ImageError, ImageTooLarge, decode_image

IMAGES, MASKS, CLASSES_FILE = "images", "masks", "classes.txt"
MASK_MODES = ("L", "P")  # one index per pixel
MAX_CLASSES_FILE = 64 * 1024


@dataclass
class MaskDecoded(Decoded):
    masks: np.ndarray | None = None  # (N, side, side) int64 class indices

    @property
    def counts(self) -> dict[str, int]:
        """Per class, the number of images where it occurs."""
        assert self.masks is not None
        k = len(self.class_names)
        flat = self.masks.reshape(len(self.masks), -1)
        has = [(flat == c).any(1).sum() for c in range(k)]
        return {name: int(n) for name, n in zip(self.class_names, has, strict=True)}


def _parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    return tuple(p for p in info.filename.replace("\\", "/").split("/") if p not in ("", "."))


def _split(infos: list[zipfile.ZipInfo]) -> tuple[dict[str, zipfile.ZipInfo], ...] | None:
    """(images by stem, masks by stem, {"classes": info}) when the zip has the layout of
    images/ and masks/ (under at most one top folder), else None."""
    files = [(p, i) for i in infos if not i.is_dir() and (p := _parts(i))]
    files = [
        (p, i) for p, i in files if p[0] != "__MACOSX" and not any(s.startswith(".") for s in p)
    ]
    tops = {p[0] for p, _ in files}
    if len(tops) == 1 and all(len(p) >= 2 for p, _ in files) and not tops & {IMAGES, MASKS}:
        files = [(p[1:], i) for p, i in files]
    if not any(p[0] == MASKS for p, _ in files) or not any(p[0] == IMAGES for p, _ in files):
        return None
    images: dict[str, zipfile.ZipInfo] = {}
    masks: dict[str, zipfile.ZipInfo] = {}
    extra: dict[str, zipfile.ZipInfo] = {}
    for p, info in files:
        if p == (CLASSES_FILE,):
            extra["classes"] = info
        elif len(p) == 2 and p[0] in (IMAGES, MASKS):
            name = PurePosixPath(p[1])
            if name.suffix.lower() not in IMAGE_SUFFIXES:
                continue  # a README or thumbnail: skipped like in a class-folder zip
            into = images if p[0] == IMAGES else masks
            if name.stem in into:
                raise ArchiveError(f"two files in {p[0]}/ are named {name.stem!r} (any extension)")
            into[name.stem] = info
        elif p[0] in (IMAGES, MASKS):
            raise ArchiveError(f"zip entry {'/'.join(p)[:200]!r}: no folders inside {p[0]}/")
    return images, masks, extra


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"zip entry {info.filename[:200]!r} could not be read: {exc}") from None


def _class_names(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo | None, k: int, limit: int
) -> list[str]:
    if info is None:
        return ["background", *(f"class {c}" for c in range(1, k))]
    if info.file_size > MAX_CLASSES_FILE:
        raise ArchiveError(f"{CLASSES_FILE} is over {MAX_CLASSES_FILE:,} bytes")
    try:
        text = _read(zf, info).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{CLASSES_FILE} could not be read as UTF-8 text: {exc}") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(names) > limit:
        raise ArchiveTooLarge(
            f"{CLASSES_FILE} names {len(names)} classes; the limit is {limit} "
            "(CNNPLAY_MAX_DATASET_CLASSES)"
        )
    if len(names) < k:
        raise ArchiveError(
            f"the masks use class indices up to {k - 1}, but {CLASSES_FILE} names only "
            f"{len(names)} classes (line 1 is class 0)"
        )
    long = next((n for n in names if len(n) > MAX_CLASS_NAME), None)
    if long:
        raise ArchiveError(f"the class name {long[:40]!r}... is over {MAX_CLASS_NAME} characters")
    return names


def _mask(raw: bytes, where: str, size: tuple[int, int], max_pixels: int) -> Image.Image:
    """A PNG of class indices, the size of its image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(raw), formats=("PNG",))
            if img.width * img.height > max_pixels:
                raise ArchiveTooLarge(
                    f"mask {where} is {img.width}x{img.height} pixels; the limit is "
                    f"{max_pixels:,} (CNNPLAY_MAX_IMAGE_PIXELS)"
                )
            img.load()
    except ArchiveError:
        raise
    except Exception as exc:  # noqa: BLE001 - any undecodable mask is named to the user
        raise ArchiveError(f"mask {where} is not a readable PNG: {exc}") from None
    if img.mode not in MASK_MODES:
        raise ArchiveError(
            f"mask {where} is a {img.mode} PNG; a mask is greyscale or palette PNG whose "
            "pixel values are class indices 0, 1, 2..."
        )
    if img.size != size:
        raise ArchiveError(
            f"mask {where} is {img.width}x{img.height}; its image is {size[0]}x{size[1]}"
        )
    return img


def _crop(img: Image.Image, side: int, resample: Image.Resampling) -> np.ndarray:
    """Centre crop to a square, resize to side x side (archive.py's rule for images)."""
    w, h = img.size
    s = min(w, h)
    box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
    return np.asarray(img.resize((side, side), resample, box=box))


def read_masks(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits
) -> MaskDecoded | None:
    """The zip as a segmentation dataset, or None when it is not laid out as one."""
    found = _split(infos)
    if found is None:
        return None
    images, masks, extra = found
    lonely = sorted(set(images) ^ set(masks))
    if lonely:
        side_ = "masks/" if lonely[0] in images else "images/"
        raise ArchiveError(f"{lonely[0][:100]!r} has no file of that name in {side_}")
    if len(images) < 2:
        raise ArchiveError("a segmentation zip needs at least 2 images (one held out)")
    if len(images) > limits.max_images:
        raise ArchiveTooLarge(
            f"the zip has {len(images):,} images; the limit is {limits.max_images:,} "
            "(CNNPLAY_MAX_DATASET_IMAGES)"
        )
    side = limits.side  # masks are stored at the listed side (64: unet_small's input)
    n = len(images)
    if limits.max_stored_bytes is not None and n * 4 * side * side > limits.max_stored_bytes:
        raise ArchiveTooLarge(
            f"{n:,} images and masks stored at {side}x{side} take {n * 4 * side * side:,} "
            f"bytes; the limit is {limits.max_stored_bytes:,} (CNNPLAY_MAX_DATASET_BYTES)"
        )
    xs: list[np.ndarray] = []
    ms: list[np.ndarray] = []
    pixels = 0
    for stem in sorted(images):
        where = f"{stem[:100]!r}"
        try:
            img = decode_image(_read(zf, images[stem]), limits.max_image_pixels)
        except ImageTooLarge as exc:
            raise ArchiveTooLarge(f"image {where}: {exc}") from None
        except ImageError as exc:
            raise ArchiveError(f"image {where}: {exc}") from None
        pixels += 2 * img.width * img.height
        if pixels > limits.max_total_pixels:
            raise ArchiveTooLarge(
                f"the images and masks hold over {limits.max_total_pixels:,} pixels together "
                "(CNNPLAY_MAX_ARCHIVE_PIXELS)"
            )
        mask = _mask(_read(zf, masks[stem]), where, img.size, limits.max_image_pixels)
        xs.append(_crop(img, side, Image.Resampling.BILINEAR))
        ms.append(_crop(mask, side, Image.Resampling.NEAREST).astype(np.int64))
    m = np.stack(ms)
    k = int(m.max()) + 1
    if k > limits.max_classes:
        raise ArchiveTooLarge(
            f"the masks use class index {k - 1}; the limit is {limits.max_classes} classes "
            "(CNNPLAY_MAX_DATASET_CLASSES)"
        )
    names = _class_names(zf, extra.get("classes"), max(k, 2), limits.max_classes)
    if all(a.ndim == 2 for a in xs):
        x = np.stack(xs)[:, None]
    else:
        rgb = [a if a.ndim == 3 else np.repeat(a[:, :, None], 3, 2) for a in xs]
        x = np.stack(rgb).transpose(0, 3, 1, 2)
    y = np.zeros(n, dtype=np.int64)  # no image labels: the split is a seeded shuffle
    return MaskDecoded(np.ascontiguousarray(x, dtype=np.uint8), y, names, [], m)


def read_any(data: bytes, limits: Limits) -> Decoded:
    """A zip of images/ + masks/ (segmentation), else one of class folders (archive.read)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"the file is not a zip archive ({exc})") from None
    with zf:
        decoded = read_masks(zf, check_entries(zf, limits), limits)
    return decoded if decoded is not None else read(data, limits)
