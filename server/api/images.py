"""POST /api/images: decode an upload safely, keep it in memory by server-generated id.

The convolution animator and the feature-map view both read uploads from here.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from PIL import Image

from server.api.deps import SettingsDep
from server.net.data.images import ImageError, ImageTooLarge, decode_image

router = APIRouter(tags=["images"])


class ImageStore:
    """Decoded uploads in memory by server-generated id; least recently used leave first."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._items: OrderedDict[str, Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, img: Image.Image) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._items[key] = img
            while len(self._items) > self.cap:
                self._items.popitem(last=False)
        return key

    def get(self, key: str) -> Image.Image | None:
        with self._lock:
            img = self._items.get(key)
            if img is not None:
                self._items.move_to_end(key)
            return img


def get_images(request: Request) -> ImageStore:
    return request.app.state.images


ImageStoreDep = Annotated[ImageStore, Depends(get_images)]


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
    try:
        img = decode_image(data, settings.max_image_pixels)
    except ImageTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except ImageError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": images.put(img), "width": img.width, "height": img.height}
