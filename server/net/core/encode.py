"""The only tensor -> wire conversion.

Display: one byte per value. A layer's channels are quantised to uint8 (each on its
own min..max, or on one scale shared by the layer) and laid out as tiles of a
grayscale PNG atlas; the per-channel ranges travel as JSON. PNG's deflate makes it
well under a byte per value for most feature maps (ReLU zeros, smooth regions).
Exact: one channel's float32 values, little-endian, base64, on demand.
Small arrays a view draws as numbers (a kernel, a neighbourhood, gate activations) go
as nested JSON lists; whole images as PNG data URLs stretched min..max.
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


def channel_ranges(channels: np.ndarray) -> np.ndarray:
    """(n, ...) float32 -> (n, 2) float32 [min, max] of each channel's finite values,
    [0, 0] for a channel with none; one pass over all channels at once."""
    flat = channels.reshape(channels.shape[0], -1)
    if flat.shape[1] == 0:
        return np.zeros((flat.shape[0], 2), dtype=np.float32)
    finite = np.isfinite(flat)
    if finite.all():
        return np.stack([flat.min(axis=1), flat.max(axis=1)], axis=1)
    lo = np.where(finite, flat, np.inf).min(axis=1)
    hi = np.where(finite, flat, -np.inf).max(axis=1)
    none = ~finite.any(axis=1)
    lo[none], hi[none] = 0.0, 0.0
    return np.stack([lo, hi], axis=1).astype(np.float32)


def quantize(channels: np.ndarray, scale: Scale) -> tuple[np.ndarray, list[list[float]]]:
    """(n, H, W) float -> (n, H, W) uint8 and each channel's [lo, hi] used.
    value ~= lo + q / 255 * (hi - lo); NaN padding -> 0. Vectorised over channels, with
    float32 arithmetic as a per-channel loop would do it."""
    c = np.asarray(channels, dtype=np.float32)
    ranges = channel_ranges(c)  # (n, 2)
    if scale == "shared" and len(ranges):
        ranges = np.tile([ranges[:, 0].min(), ranges[:, 1].max()], (len(ranges), 1))
    lo, hi = ranges[:, 0].astype(np.float64), ranges[:, 1].astype(np.float64)
    live = hi > lo
    # 255 / (hi - lo) in float64 from the float32 ends, then used in float32.
    factor = np.where(live, 255.0 / np.where(live, hi - lo, 1.0), 0.0).astype(np.float32)
    shape = (-1,) + (1,) * (c.ndim - 1)
    lo32 = ranges[:, 0].reshape(shape)
    filled = np.where(np.isnan(c), lo32, c)
    q = np.rint((filled - lo32) * factor.reshape(shape))
    out = np.clip(q, 0, 255).astype(np.uint8)
    out[~live] = 0
    return out, ranges.astype(np.float64).tolist()


def atlas(tiles: np.ndarray, compress_level: int = 3) -> tuple[bytes, int]:
    """(n, H, W) uint8 -> a grayscale PNG with the tiles in rows of `cols`; returns
    (png bytes, cols). Tile i sits at column i % cols, row i // cols. zlib level 3: half
    the time of level 6 on big pages for about 5-10% more bytes."""
    n, h, w = tiles.shape
    cols = max(1, min(n, math.ceil(math.sqrt(n * h / max(w, 1)))))
    rows = math.ceil(n / cols)
    padded = np.zeros((rows * cols, h, w), dtype=np.uint8)
    padded[:n] = tiles
    # (rows, cols, h, w) -> (rows, h, cols, w): one copy instead of a loop over tiles
    sheet = padded.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)
    buf = io.BytesIO()
    Image.fromarray(sheet, mode="L").save(buf, format="PNG", compress_level=compress_level)
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
    per = channel_ranges(chans)  # (C, 2)
    if len(per) and np.isfinite(chans).all():  # the layer's range from its channels' ranges
        lo_all, hi_all = float(per[:, 0].min()), float(per[:, 1].max())
    else:
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
        "actual": per[start : start + len(page)].astype(np.float64).tolist()
        if scale == "shared"
        else None,
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


def nested(t: torch.Tensor, decimals: int | None = None) -> Any:
    """A tensor as nested JSON lists (a 0-d tensor as a number), optionally rounded to
    `decimals` places (the wire then carries no noise digits)."""
    t = t.detach().cpu()
    return (t.round(decimals=decimals) if decimals is not None else t).tolist()


def png_data_url(t: torch.Tensor) -> tuple[str, float, float]:
    """(H, W), (1, H, W) or (3, H, W) float tensor -> (PNG data URL, min, max): gray for
    one channel, RGB for three. Values are stretched min..max onto 0..255 so signed
    filter responses stay readable."""
    t = t.detach().float()
    if t.dim() == 3 and t.shape[0] == 1:
        t = t[0]
    lo, hi = float(t.min()), float(t.max())
    scaled = (t - lo) / (hi - lo) if hi > lo else torch.zeros_like(t)
    arr = (scaled * 255).round().clamp(0, 255).to(torch.uint8).numpy()
    img = Image.fromarray(arr.transpose(1, 2, 0) if arr.ndim == 3 else arr)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(), lo, hi


def mask_png_data_url(mask: torch.Tensor, palette: list[tuple[int, int, int]]) -> str:
    """(H, W) class indices -> a palette PNG data URL, class k drawn in palette[k] (issue
    16): one byte per pixel, and only a few colours, so a 64x64 mask is a few hundred
    bytes. Indices past the palette are drawn in its last colour."""
    if len(palette) == 0 or len(palette) > 256:
        raise ValueError(f"a mask palette has 1..256 colours, not {len(palette)}")
    idx = mask.detach().cpu().long().clamp(0, len(palette) - 1).to(torch.uint8).numpy()
    img = Image.fromarray(idx, mode="P")
    img.putpalette([v for rgb in palette for v in rgb])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
