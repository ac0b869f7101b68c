"""Decode an uploaded image safely, and turn images into tensors (server/net/core/encode.py
turns tensors back into images for the wire).

Safety: only an allowlist of formats is opened, the pixel count is checked
before any pixel is decoded (a decompression bomb never allocates), truncated
files fail instead of being padded with grey, EXIF orientation is applied and
an animation yields its first frame.
"""

from __future__ import annotations

import io
import warnings
from functools import cache

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
PHOTOS = ("china", "flower")  # scikit-learn's sample photos, 427 x 640 RGB


class ImageError(ValueError):
    """The bytes are not an image we decode (-> 422)."""


class ImageTooLarge(ImageError):
    """The image has more pixels than allowed (-> 413)."""


def decode_image(data: bytes, max_pixels: int) -> Image.Image:
    """Bytes -> a fully loaded, upright, single-frame PIL image (RGB, RGBA or L).

    Raises ImageTooLarge past `max_pixels` (width * height) and ImageError for
    anything that is not a complete PNG/JPEG/WebP/GIF/BMP.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns (and errors at 2x) on its own global limit; we check
            # our limit ourselves, from the header, before decoding.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            w, h = img.size
            if w * h > max_pixels:
                raise ImageTooLarge(
                    f"the image is {w:,}x{h:,} = {w * h:,} pixels; "
                    f"the limit is {max_pixels:,} (CNNPLAY_MAX_IMAGE_PIXELS)"
                )
            img.seek(0)  # an animation: its first frame
            img.load()  # truncated data raises OSError here
            img = ImageOps.exif_transpose(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            f"the image is over the limit of {max_pixels:,} pixels (CNNPLAY_MAX_IMAGE_PIXELS); "
            f"Pillow: {exc}"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            "the file is not an image in a supported format (PNG, JPEG, WebP, GIF, BMP)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"the image could not be decoded (truncated or corrupt?): {exc}") from None
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
        if img.mode == "RGBA":  # flatten transparency onto white
            bg = Image.new("RGB", img.size, (255, 255, 255))
            bg.paste(img, mask=img.getchannel("A"))
            img = bg
    return img


@cache
def sample_photo(name: str) -> Image.Image:
    """One of scikit-learn's sample photos (PHOTOS) as a PIL image."""
    from sklearn.datasets import load_sample_image  # heavy: only when a photo is asked for

    return Image.fromarray(load_sample_image(f"{name}.jpg"))


def to_tensor(img: Image.Image, mode: str = "L", size: int | None = None) -> torch.Tensor:
    """PIL image -> float tensor (C, H, W) in [0, 1]; C = 1 for "L", 3 for "RGB".

    `size` caps the longer side (aspect kept, never enlarged)."""
    if mode not in ("L", "RGB"):
        raise ValueError(f"mode must be 'L' or 'RGB', not {mode!r}")
    img = img.convert(mode)
    if size is not None and max(img.size) > size:
        scale = size / max(img.size)
        new = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(new, Image.Resampling.LANCZOS, reducing_gap=3.0)
    arr = np.asarray(img, dtype=np.float32) / 255.0  # (H, W) or (H, W, 3)
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(arr))
