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

from server.api.auth import CurrentUser
from server.api.deps import SettingsDep
from server.net.data.images import ImageError, ImageTooLarge, decode_image
from server.store import UserRow

router = APIRouter(tags=["images"])


class ImageStore:
    """Decoded uploads in memory by server-generated id, each with its owner (issue 14):
    another user's image is None, as if it had expired; least recently used leave
    first, and one user keeps at most `per_user` (their own oldest leave)."""

    def __init__(self, cap: int, per_user: int | None = None) -> None:
        self.cap = cap
        self.per_user = per_user or cap
        self._items: OrderedDict[str, tuple[str, Image.Image]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, img: Image.Image, owner: UserRow) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._items[key] = (owner.id, img)
            mine = [k for k, (who, _) in self._items.items() if who == owner.id]
            for old in mine[: max(0, len(mine) - self.per_user)]:
                del self._items[old]
            while len(self._items) > self.cap:
                self._items.popitem(last=False)
        return key

    def get(self, key: str, user: UserRow) -> Image.Image | None:
        """The image if `user` uploaded it (the teacher sees every one)."""
        with self._lock:
            item = self._items.get(key)
            if item is None or not (user.is_owner or item[0] == user.id):
                return None
            self._items.move_to_end(key)
            return item[1]


def get_images(request: Request) -> ImageStore:
    return request.app.state.images


ImageStoreDep = Annotated[ImageStore, Depends(get_images)]


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
    try:
        img = decode_image(data, settings.max_image_pixels)
    except ImageTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except ImageError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": images.put(img, user), "width": img.width, "height": img.height}
