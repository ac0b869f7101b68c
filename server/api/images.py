"""POST /api/images: decode an upload safely, keep it in memory by server-generated id.

The convolution animator and the feature-map view both read uploads from here. The
store is bounded in decoded bytes (issue 13: forty 105 KB PNGs of 6000x6000 pixels
took the server from 526 MB to 5 GB), and an image too big for it alone is refused
from its header, before a pixel is decoded.
"""

from __future__ import annotations

import io
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from PIL import Image, UnidentifiedImageError

from server.api.deps import SettingsDep
from server.config import Settings
from server.net.core import memory
from server.net.core.cache import LRU
from server.net.data.images import FORMATS, ImageError, ImageTooLarge, decode_image

router = APIRouter(tags=["images"])


def image_bytes(img: Image.Image) -> int:
    """Decoded bytes of a stored image (L: 1 a pixel, RGB: 3)."""
    return img.width * img.height * len(img.getbands())


class ImageStore:
    """Decoded uploads in memory by server-generated id, at most `cap` of them and
    `max_bytes` of pixels together; the least recently used leave first."""

    def __init__(self, cap: int, max_bytes: int) -> None:
        self.cap = cap
        self.max_bytes = max_bytes
        self._items: LRU[str, Image.Image] = LRU(max_bytes, image_bytes, max_items=cap)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def used(self) -> int:
        return self._items.used

    def put(self, img: Image.Image) -> str:
        key = secrets.token_urlsafe(12)
        self._items.put(key, img)
        return key

    def get(self, key: str) -> Image.Image | None:
        return self._items.get(key)


def get_images(request: Request) -> ImageStore:
    return request.app.state.images


ImageStoreDep = Annotated[ImageStore, Depends(get_images)]


def check_header(data: bytes, settings: Settings) -> None:
    """413 when the image, decoded, could not be kept: read from its header only."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            (w, h), bands = img.size, (1 if img.mode == "L" else 3)  # kept as L or RGB
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return  # decode_image says what is wrong with it
    except Image.DecompressionBombError:
        return  # decode_image names the pixel limit
    if w * h * bands > settings.image_store_bytes:
        raise HTTPException(
            413,
            f"the image is {w:,}x{h:,} pixels, {w * h * bands:,} bytes decoded; uploaded "
            f"images are kept within {settings.image_store_bytes:,} bytes "
            "(CNNPLAY_IMAGE_STORE_BYTES)",
        )


@router.post("/images")
def upload_image(
    file: Annotated[UploadFile, File()], images: ImageStoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """Upload a PNG/JPEG/WebP/GIF/BMP -> {id, width, height} for /api/convolve and /features."""
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(
            413, f"the file is over {settings.max_upload_bytes:,} bytes (CNNPLAY_MAX_UPLOAD_BYTES)"
        )
    check_header(data, settings)
    try:
        img = decode_image(data, settings.max_image_pixels)
    except ImageTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except ImageError as exc:
        raise HTTPException(422, str(exc)) from None
    finally:
        del data
    key = images.put(img)  # older uploads may leave: their pixels go back to the system
    memory.release()
    return {"id": key, "width": img.width, "height": img.height}
