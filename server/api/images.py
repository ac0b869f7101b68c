"""POST /api/images: decode an upload safely, keep it in memory by server-generated id.

The convolution animator and the feature-map view both read uploads from here. The
store is bounded in decoded bytes (issue 13: forty 105 KB PNGs of 6000x6000 pixels
took the server from 526 MB to 5 GB), and an image too big for it alone is refused
from its header, before a pixel is decoded.
"""

from __future__ import annotations

import io
import secrets
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from PIL import Image, UnidentifiedImageError

from server.api.auth import CurrentUser
from server.api.deps import SettingsDep
from server.config import Settings
from server.net.core import memory
from server.net.core.cache import LRU
from server.net.data.images import FORMATS, ImageError, ImageTooLarge, decode_image
from server.store import UserRow

router = APIRouter(tags=["images"])


def image_bytes(item: tuple[str, Image.Image]) -> int:
    """Decoded bytes of a stored image (L: 1 a pixel, RGB: 3)."""
    img = item[1]
    return img.width * img.height * len(img.getbands())


class ImageStore:
    """Decoded uploads in memory by server-generated id, each with its owner (issue 14):
    at most `cap` of them and `max_bytes` of pixels together (issue 13), the least
    recently used leaving first; one user keeps at most `per_user` (their own oldest
    leave), and another user's image is None, as if it had expired."""

    def __init__(self, cap: int, max_bytes: int, per_user: int | None = None) -> None:
        self.cap = cap
        self.max_bytes = max_bytes
        self.per_user = per_user or cap
        self._items: LRU[str, tuple[str, Image.Image]] = LRU(max_bytes, image_bytes, max_items=cap)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def used(self) -> int:
        return self._items.used

    def put(self, img: Image.Image, owner: UserRow) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._items.put(key, (owner.id, img))
            mine = [k for k in self._items.oldest_first() if self._owner(k) == owner.id]
            for old in mine[: max(0, len(mine) - self.per_user)]:
                self._items.discard(old)
        return key

    def _owner(self, key: str) -> str | None:
        item = self._items.peek(key)
        return item[0] if item else None

    def get(self, key: str, user: UserRow) -> Image.Image | None:
        """The image if `user` uploaded it (the teacher sees every one)."""
        if self._owner(key) not in (user.id, None) and not user.is_owner:
            return None
        item = self._items.get(key)
        return None if item is None else item[1]


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
    file: Annotated[UploadFile, File()],
    images: ImageStoreDep,
    settings: SettingsDep,
    user: CurrentUser,
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
    key = images.put(img, user)  # older uploads may leave: their pixels go back to the system
    memory.release()
    return {"id": key, "width": img.width, "height": img.height}
