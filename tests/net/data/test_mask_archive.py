"""Zips of images/ + masks/ (issue 16): decoded with the same checks, clear refusals."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from server.net.data import mask_archive
from server.net.data.archive import ArchiveError, ArchiveTooLarge, Limits


def png(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode=mode).save(buf, format="PNG")
    return buf.getvalue()


def mask_of(i: int, side: int = 32) -> np.ndarray:
    m = np.zeros((side, side), dtype=np.uint8)
    m[4:20, 4 + i : 20 + i] = 1 + i % 2  # classes 1 and 2 in turn
    return m


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def dataset(
    n: int = 4, top: str = "", classes: str | None = "sky\nroad\ncar\n"
) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    files = {}
    for i in range(n):
        files[f"{top}images/{i}.jpg" if i % 2 else f"{top}images/{i}.png"] = png(
            rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
        )
        files[f"{top}masks/{i}.png"] = png(mask_of(i), "L")
    if classes is not None:
        files[f"{top}classes.txt"] = classes.encode()
    return files


def test_images_and_masks_are_read_with_their_class_names() -> None:
    d = mask_archive.read_any(make_zip(dataset(top="streets/")), Limits(side=16))
    assert isinstance(d, mask_archive.MaskDecoded)
    assert d.class_names == ["sky", "road", "car"]
    assert d.x.shape == (4, 3, 16, 16) and d.masks.shape == (4, 16, 16)
    # Nearest-neighbour resizing: only indices the masks had, in the same place.
    assert set(np.unique(d.masks)) == {0, 1, 2}
    want = np.asarray(Image.fromarray(mask_of(0)).resize((16, 16), Image.Resampling.NEAREST))
    assert np.array_equal(d.masks[0], want)
    assert d.counts == {"sky": 4, "road": 2, "car": 2}


def test_default_class_names_and_palette_masks() -> None:
    files = dataset(classes=None)
    pal = Image.fromarray(mask_of(3), mode="P")
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    buf = io.BytesIO()
    pal.save(buf, format="PNG")
    files["masks/3.png"] = buf.getvalue()  # a palette PNG: its indices count, not colours
    d = mask_archive.read_any(make_zip(files), Limits(side=32))
    assert d.class_names == ["background", "class 1", "class 2"]
    assert np.array_equal(d.masks[3], mask_of(3))


def test_a_class_folder_zip_still_reads_as_before() -> None:
    img = png(np.zeros((8, 8), dtype=np.uint8), "L")
    files = {"cat/1.png": img, "cat/2.png": img, "dog/1.png": img, "dog/2.png": img}
    d = mask_archive.read_any(make_zip(files), Limits(side=8))
    assert not isinstance(d, mask_archive.MaskDecoded) and d.class_names == ["cat", "dog"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.pop("masks/2.png"), "'2' has no file of that name in masks/"),
        (lambda f: f.update({"masks/1.png": png(np.zeros((32, 32, 3), np.uint8))}), "RGB PNG"),
        (lambda f: f.update({"masks/1.png": png(np.zeros((16, 32), np.uint8), "L")}), "32x16"),
        (lambda f: f.update({"masks/1.png": b"not a png"}), "not a readable PNG"),
        (lambda f: f.update({"classes.txt": b"sky\nroad\n"}), "names only 2 classes"),
        (lambda f: f.update({"images/sub/9.png": f["images/0.png"]}), "no folders inside"),
    ],
)
def test_bad_zips_are_refused_naming_the_file(change, message: str) -> None:
    files = dataset()
    change(files)
    with pytest.raises(ArchiveError, match=message):
        mask_archive.read_any(make_zip(files), Limits(side=16))


def test_limits_apply() -> None:
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_DATASET_IMAGES"):
        mask_archive.read_any(make_zip(dataset()), Limits(side=16, max_images=3))
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_ARCHIVE_ENTRIES"):
        mask_archive.read_any(make_zip(dataset()), Limits(side=16, max_entries=3))
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_DATASET_CLASSES"):
        mask_archive.read_any(make_zip(dataset(classes=None)), Limits(side=16, max_classes=2))
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_ARCHIVE_PIXELS"):
        mask_archive.read_any(make_zip(dataset()), Limits(side=16, max_total_pixels=5000))
