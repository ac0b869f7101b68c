from __future__ import annotations

import io
import stat
import zipfile

import numpy as np
import pytest
from PIL import Image

from server.net.data import archive
from server.net.data.archive import ArchiveError, ArchiveTooLarge, Limits


def png(color: int | tuple[int, int, int] = 128, size: tuple[int, int] = (10, 10)) -> bytes:
    mode = "L" if isinstance(color, int) else "RGB"
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def zip_of(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in files.items():
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, data)
    return buf.getvalue()


def good_zip(per_class: int = 3, rgb: bool = False) -> bytes:
    files = {}
    for i in range(per_class):
        files[f"cats/{i}.png"] = png((200, 30, 30) if rgb else 200)
        files[f"dogs/{i}.png"] = png((30, 30, 200) if rgb else 30, size=(20, 10))
    return zip_of(files)


def test_decodes_class_folders() -> None:
    d = archive.read(good_zip(), Limits(side=16))
    assert d.class_names == ["cats", "dogs"]
    assert d.x.shape == (6, 1, 16, 16) and d.x.dtype == np.uint8
    assert d.counts == {"cats": 3, "dogs": 3}
    assert (d.x[d.y == 0] == 200).all() and (d.x[d.y == 1] == 30).all()


def test_colour_images_keep_three_channels() -> None:
    d = archive.read(good_zip(rgb=True), Limits(side=8))
    assert d.x.shape == (6, 3, 8, 8)
    cat = d.x[d.y == 0][0]
    assert tuple(cat[:, 0, 0]) == (200, 30, 30)  # (C, H, W): R, G, B planes


def test_grey_and_colour_mixed_become_colour() -> None:
    z = zip_of(
        {"a/1.png": png(50), "a/2.png": png(60), "b/1.png": png((1, 2, 3)), "b/2.png": png(9)}
    )
    d = archive.read(z, Limits(side=4))
    assert d.x.shape == (4, 3, 4, 4)
    assert (d.x[0] == 50).all()  # grey copied to R, G and B


def test_centre_crop_keeps_the_middle() -> None:
    img = Image.new("L", (30, 10), 0)
    img.paste(255, (10, 0, 20, 10))  # a white middle third
    buf = io.BytesIO()
    img.save(buf, "PNG")
    z = zip_of({"a/1.png": buf.getvalue(), "a/2.png": png(0), "b/1.png": png(0), "b/2.png": png(0)})
    d = archive.read(z, Limits(side=10))
    assert (d.x[0] == 255).all()


def test_one_top_folder_is_stripped_and_junk_skipped() -> None:
    z = zip_of(
        {
            "pets/": b"",
            "pets/cat/": b"",
            "pets/cat/1.png": png(),
            "pets/cat/2.jpg.txt": b"not an image",
            "pets/cat/3.png": png(),
            "pets/dog/1.png": png(),
            "pets/dog/2.png": png(),
            "pets/README.md": b"hello",
            "__MACOSX/pets/cat/._1.png": b"junk",
            "pets/.DS_Store": b"junk",
        }
    )
    d = archive.read(z, Limits(side=4))
    assert d.class_names == ["cat", "dog"]
    assert sorted(d.skipped) == sorted(
        ["pets/cat/2.jpg.txt", "pets/README.md", "__MACOSX/pets/cat/._1.png", "pets/.DS_Store"]
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.png", "'..'"),
        ("a/../../evil.png", "'..'"),
        ("/etc/evil.png", "absolute"),
        ("C:/evil.png", "absolute"),
        ("a\\..\\..\\evil.png", "'..'"),
    ],
)
def test_zip_slip_names_are_refused(name: str, why: str) -> None:
    z = good_zip()
    buf = io.BytesIO(z)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr(name, png())
    with pytest.raises(ArchiveError, match=why):
        archive.read(buf.getvalue(), Limits())


def test_symlinks_are_refused() -> None:
    buf = io.BytesIO(good_zip())
    with zipfile.ZipFile(buf, "a") as zf:
        info = zipfile.ZipInfo("cats/link.png")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        archive.read(buf.getvalue(), Limits())


def test_too_many_entries() -> None:
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_ARCHIVE_ENTRIES"):
        archive.read(good_zip(per_class=3), Limits(max_entries=5))


def test_too_many_bytes_unpacked() -> None:
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_ARCHIVE_BYTES"):
        archive.read(good_zip(), Limits(max_bytes=200))


def test_a_compression_bomb_is_refused_before_decompressing() -> None:
    files = {"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/bomb.png": bytes(8 << 20)}
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_ARCHIVE_RATIO"):
        archive.read(zip_of(files), Limits())


def test_too_many_pixels_in_all() -> None:
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_ARCHIVE_PIXELS"):
        archive.read(good_zip(), Limits(max_total_pixels=500))


def test_one_image_over_the_pixel_limit() -> None:
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_IMAGE_PIXELS"):
        archive.read(good_zip(), Limits(max_image_pixels=150))


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"cats/1.png": png(), "cats/2.png": png()}, "single class"),
        (
            {"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/2.png": png(), "c/": b""},
            "'c' has no images",
        ),
        (
            {"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "c/x.txt": b"t"},
            "'c' has no images",
        ),
        ({"a/1.png": png(), "a/2.png": png(), "b/1.png": png()}, "class 'b' has 1 image"),
        ({"1.png": png(), "2.png": png()}, "no images in class folders"),
        ({"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/2.png": b"garbage"}, "b/2.png"),
    ],
)
def test_bad_layouts_name_the_problem(files: dict[str, bytes], message: str) -> None:
    with pytest.raises(ArchiveError, match=message):
        archive.read(zip_of(files), Limits())


def test_undecodable_image_is_a_422_not_a_413() -> None:
    files = {"a/1.png": png(), "a/2.png": png(), "b/1.png": png(), "b/2.png": b"garbage"}
    with pytest.raises(ArchiveError) as exc:
        archive.read(zip_of(files), Limits())
    assert exc.value.status == 422 and "not an image" in str(exc.value)


def test_not_a_zip() -> None:
    with pytest.raises(ArchiveError, match="not a zip"):
        archive.read(b"PK\x03\x04 nonsense", Limits())


def test_too_many_classes_and_images() -> None:
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_DATASET_CLASSES"):
        archive.read(
            zip_of({f"{c}/{i}.png": png() for c in "abc" for i in range(2)}), Limits(max_classes=2)
        )
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_DATASET_IMAGES"):
        archive.read(good_zip(per_class=3), Limits(max_images=5))


def test_split_is_stratified_and_seeded() -> None:
    y = np.repeat(np.arange(3), [10, 5, 2])
    tr, he = archive.split(y, 0.2, seed=1)
    assert sorted(np.concatenate([tr, he])) == list(range(17))
    assert [int((y[he] == c).sum()) for c in range(3)] == [2, 1, 1]
    assert [int((y[tr] == c).sum()) for c in range(3)] == [8, 4, 1]
    tr2, he2 = archive.split(y, 0.2, seed=1)
    assert np.array_equal(he, he2)
    assert not np.array_equal(archive.split(y, 0.2, seed=2)[1], he)


def test_photos_are_stored_up_to_max_side_and_small_images_at_side() -> None:
    photos = zip_of({f"{c}/{i}.png": png((9, 9, 9), size=(300, 260)) for c in "ab" for i in (1, 2)})
    assert archive.read(photos, Limits(side=64, max_side=224)).x.shape == (4, 3, 224, 224)
    assert archive.read(photos, Limits(side=64, max_side=128)).x.shape[-1] == 128
    mixed = zip_of({"a/1.png": png(size=(100, 90)), "a/2.png": png(), "b/1.png": png(),
                    "b/2.png": png()})  # fmt: skip
    assert archive.read(mixed, Limits(side=64, max_side=224)).x.shape[-1] == 90  # largest short
    assert archive.read(good_zip(), Limits(side=64, max_side=224)).x.shape[-1] == 64
    assert archive.stored_side([], Limits(side=16)) == 16


def test_stored_bytes_are_bounded_before_decoding() -> None:
    photos = zip_of({f"{c}/{i}.png": png((9, 9, 9), size=(300, 260)) for c in "ab" for i in (1, 2)})
    limit = 4 * 3 * 224 * 224 - 1
    with pytest.raises(ArchiveTooLarge, match="CNNPLAY_MAX_DATASET_BYTES"):
        archive.read(photos, Limits(side=64, max_side=224, max_stored_bytes=limit))
    assert archive.read(photos, Limits(side=64, max_side=224, max_stored_bytes=limit + 1))
