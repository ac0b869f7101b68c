"""Uploaded images are decoded safely or refused with a reason."""

from __future__ import annotations

import io

import pytest
import torch
from PIL import Image

from server.net.data.images import ImageError, ImageTooLarge, decode_image, to_tensor


def _bytes(img: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_png_round_trip_to_tensor() -> None:
    img = Image.new("RGB", (6, 4), (255, 0, 0))
    out = decode_image(_bytes(img), 1000)
    t = to_tensor(out, "RGB")
    assert t.shape == (3, 4, 6) and t.dtype == torch.float32
    assert t[0].min() == 1.0 and t[1].max() == 0.0
    assert to_tensor(out, "L").shape == (1, 4, 6)


def test_size_caps_the_longer_side() -> None:
    img = Image.new("L", (200, 100), 128)
    assert to_tensor(img, "L", size=50).shape == (1, 25, 50)
    assert to_tensor(img, "L", size=500).shape == (1, 100, 200)  # never enlarged


def test_too_many_pixels_is_refused_before_decoding() -> None:
    # A 20,000 x 20,000 PNG compresses to a few hundred KB: a decompression bomb.
    bomb = _bytes(Image.new("1", (20_000, 20_000)))
    assert len(bomb) < 2_000_000
    with pytest.raises(ImageTooLarge, match="limit of 40,000,000 pixels"):
        decode_image(bomb, 40_000_000)
    # under Pillow's own limit, ours still applies, from the header alone
    medium = _bytes(Image.new("1", (5_000, 5_000)))
    with pytest.raises(ImageTooLarge, match="25,000,000 pixels"):
        decode_image(medium, 1_000_000)


def test_truncated_and_non_images() -> None:
    data = _bytes(Image.effect_noise((64, 64), 50).convert("RGB"), "JPEG")
    with pytest.raises(ImageError, match="truncated"):
        decode_image(data[: len(data) // 2], 10_000)
    with pytest.raises(ImageError, match="not an image"):
        decode_image(b"%PDF-1.4 not an image at all", 10_000)
    with pytest.raises(ImageError, match="not an image"):  # TIFF is not on the allowlist
        decode_image(_bytes(Image.new("RGB", (4, 4)), "TIFF"), 10_000)


def test_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("L", (8, 8), v) for v in (10, 200, 90)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    img = decode_image(buf.getvalue(), 1000)
    assert img.size == (8, 8)
    assert to_tensor(img, "L")[0, 0, 0] == pytest.approx(10 / 255, abs=0.01)


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))  # red left half
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    out = decode_image(_bytes(img, "JPEG", exif=exif, quality=95), 10_000)
    assert out.size == (20, 40)  # upright: portrait
    top = out.getpixel((10, 5))
    assert top[0] > 200 and top[2] < 60  # the red half is now on top


def test_transparency_is_flattened_onto_white() -> None:
    img = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    out = decode_image(_bytes(img), 100)
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (255, 255, 255)
