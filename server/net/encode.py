"""The only tensor -> wire conversion.

Display: one byte per value. A layer's channels are quantised to uint8 (each on its
own min..max, or on one scale shared by the layer) and laid out as tiles of a
grayscale PNG atlas; the per-channel ranges travel as JSON. PNG's deflate makes it
well under a byte per value for most feature maps (ReLU zeros, smooth regions).
Exact: one channel's float32 values, little-endian, base64, on demand.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

Scale = Literal["channel", "shared"]
VECTOR_WRAP = 32  # a vector (F,) shows as rows of 32 values


def as_channels(t: torch.Tensor) -> np.ndarray:
    """A per-sample output -> (C, H, W) float32 channels to show as images.
    (C, H, W) stays; a sequence (T, F) is one (T, F) image; a vector (F,) is one
    image of rows of VECTOR_WRAP values, the tail padded with NaN."""
    a = t.detach().float().cpu().numpy()
    if a.ndim == 3:
        return a
    if a.ndim == 2:
        return a[None]
    flat = a.reshape(-1)
    cols = min(VECTOR_WRAP, max(1, flat.size))
    rows = math.ceil(flat.size / cols)
    padded = np.full(rows * cols, np.nan, dtype=np.float32)
    padded[: flat.size] = flat
    return padded.reshape(1, rows, cols)


def _range(a: np.ndarray) -> tuple[float, float]:
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return 0.0, 0.0
    return float(finite.min()), float(finite.max())


def quantize(channels: np.ndarray, scale: Scale) -> tuple[np.ndarray, list[list[float]]]:
    """(n, H, W) float -> (n, H, W) uint8 and each channel's [lo, hi] used.
    value ~= lo + q / 255 * (hi - lo); NaN padding -> 0."""
    ranges = [_range(c) for c in channels]
    if scale == "shared" and ranges:
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        ranges = [(lo, hi)] * len(ranges)
    out = np.zeros(channels.shape, dtype=np.uint8)
    for i, (c, (lo, hi)) in enumerate(zip(channels, ranges)):
        if hi > lo:
            q = np.rint((np.nan_to_num(c, nan=lo) - lo) * (255.0 / (hi - lo)))
            out[i] = np.clip(q, 0, 255).astype(np.uint8)
    return out, [[lo, hi] for lo, hi in ranges]


def atlas(tiles: np.ndarray) -> tuple[bytes, int]:
    """(n, H, W) uint8 -> a grayscale PNG with the tiles in rows of `cols`; returns
    (png bytes, cols). Tile i sits at column i % cols, row i // cols."""
    n, h, w = tiles.shape
    cols = max(1, min(n, math.ceil(math.sqrt(n * h / max(w, 1)))))
    rows = math.ceil(n / cols)
    sheet = np.zeros((rows * h, cols * w), dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = tiles[i]
    buf = io.BytesIO()
    Image.fromarray(sheet, mode="L").save(buf, format="PNG", compress_level=6)
    return buf.getvalue(), cols


def frame(meta: dict[str, Any], payload: bytes) -> bytes:
    """One binary response: uint32 big-endian JSON length, the JSON, then the payload."""
    head = json.dumps(meta, separators=(",", ":")).encode()
    return struct.pack(">I", len(head)) + head + payload


def unframe(data: bytes) -> tuple[dict[str, Any], bytes]:
    (n,) = struct.unpack(">I", data[:4])
    return json.loads(data[4 : 4 + n]), data[4 + n :]


def layer_page(
    t: torch.Tensor, start: int, count: int, scale: Scale
) -> tuple[dict[str, Any], bytes]:
    """Channels start..start+count of a layer output -> (JSON meta, PNG atlas)."""
    chans = as_channels(t)
    total = chans.shape[0]
    start = max(0, min(start, total))
    page = chans[start : start + max(0, count)]
    lo_all, hi_all = _range(chans)
    if page.shape[0] == 0:
        return {"shape": list(t.shape), "channels": total, "start": start, "count": 0}, b""
    q, ranges = quantize(page, scale)
    png, cols = atlas(q)
    meta = {
        "shape": list(t.shape),
        "tile": [int(page.shape[1]), int(page.shape[2])],
        "channels": total,
        "start": start,
        "count": int(page.shape[0]),
        "cols": cols,
        "scale": scale,
        "min": lo_all,
        "max": hi_all,
        "ranges": ranges,  # per tile: [lo, hi] of the colour scale
        # per tile: its own min, max (with a per-channel scale that is `ranges` itself)
        "actual": [list(_range(c)) for c in page] if scale == "shared" else None,
        "vector": t.dim() == 1,
        "length": int(t.numel()) if t.dim() == 1 else None,
    }
    return meta, png


def exact(values: torch.Tensor | np.ndarray) -> dict[str, Any]:
    """Any float tensor -> {"shape", "dtype": "float32", "data": base64 little-endian}."""
    a = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values
    a = np.ascontiguousarray(a, dtype="<f4")
    return {
        "shape": list(a.shape),
        "dtype": "float32",
        "data": base64.b64encode(a.tobytes()).decode(),
    }


def decode_exact(obj: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(obj["data"])
    return np.frombuffer(raw, dtype="<f4").reshape(obj["shape"])


def channel(t: torch.Tensor, index: int) -> np.ndarray:
    """One display channel (H, W) of a layer output, as shown in the grid."""
    return as_channels(t)[index]
