"""encode: one byte per displayed value, exact float32 on demand."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from server.net.core import encode


def _tiles(meta: dict, png: bytes) -> np.ndarray:
    sheet = np.asarray(Image.open(io.BytesIO(png)))
    h, w = meta["tile"]
    out = []
    for i in range(meta["count"]):
        r, c = divmod(i, meta["cols"])
        out.append(sheet[r * h : (r + 1) * h, c * w : (c + 1) * w])
    return np.stack(out)


def test_layer_page_round_trips_within_one_step() -> None:
    torch.manual_seed(0)
    t = torch.randn(10, 7, 5) * torch.arange(1, 11).view(-1, 1, 1)
    meta, png = encode.layer_page(t, 2, 5, "channel")
    assert meta["start"] == 2 and meta["count"] == 5 and meta["channels"] == 10
    q = _tiles(meta, png)
    for i in range(5):
        lo, hi = meta["ranges"][i]
        back = lo + q[i].astype(np.float32) / 255 * (hi - lo)
        assert np.abs(back - t[2 + i].numpy()).max() <= (hi - lo) / 255 / 2 + 1e-5
        assert q[i].min() == 0 and q[i].max() == 255


def test_shared_scale_uses_one_range() -> None:
    t = torch.stack([torch.zeros(4, 4), torch.ones(4, 4) * 2])
    meta, png = encode.layer_page(t, 0, 2, "shared")
    assert meta["ranges"] == [[0.0, 2.0], [0.0, 2.0]]
    assert meta["actual"] == [[0.0, 0.0], [2.0, 2.0]]
    q = _tiles(meta, png)
    assert q[0].max() == 0 and q[1].min() == 255


def test_png_is_at_most_a_byte_per_value_for_sparse_maps() -> None:
    t = torch.relu(torch.randn(64, 56, 56))
    meta, png = encode.layer_page(t, 0, 64, "channel")
    assert len(encode.frame(meta, png)) < 64 * 56 * 56


def test_vector_wraps_and_pads() -> None:
    meta, png = encode.layer_page(torch.arange(40, dtype=torch.float32), 0, 1, "channel")
    assert meta["tile"] == [2, 32] and meta["vector"] and meta["length"] == 40
    q = _tiles(meta, png)
    assert q[0, 0, 0] == 0 and q[0, 1, 7] == 255 and q[0, 1, 8] == 0


def test_exact_round_trip_and_frame() -> None:
    a = torch.randn(3, 4)
    obj = encode.exact(a)
    assert np.array_equal(encode.decode_exact(obj), a.numpy())
    meta, payload = encode.unframe(encode.frame({"x": 1}, b"abc"))
    assert meta == {"x": 1} and payload == b"abc"


def test_constant_and_empty_pages() -> None:
    meta, png = encode.layer_page(torch.full((2, 3, 3), 5.0), 0, 2, "channel")
    assert meta["ranges"] == [[5.0, 5.0], [5.0, 5.0]] and _tiles(meta, png).max() == 0
    meta, png = encode.layer_page(torch.zeros(2, 3, 3), 5, 2, "channel")
    assert meta["count"] == 0 and png == b""


def _quantize_loop(channels: np.ndarray, scale: str) -> tuple[np.ndarray, list[list[float]]]:
    """The plain per-channel reference the vectorised quantize must equal bit for bit."""

    def rng(a: np.ndarray) -> tuple[float, float]:
        finite = a[np.isfinite(a)]
        return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)

    ranges = [rng(c) for c in channels]
    if scale == "shared":
        ranges = [(min(r[0] for r in ranges), max(r[1] for r in ranges))] * len(ranges)
    out = np.zeros(channels.shape, dtype=np.uint8)
    for i, (c, (lo, hi)) in enumerate(zip(channels, ranges)):
        if hi > lo:
            with np.errstate(over="ignore"):  # an inf value: nan_to_num made it float32 max
                q = np.rint((np.nan_to_num(c, nan=lo) - lo) * (255.0 / (hi - lo)))
            out[i] = np.clip(q, 0, 255).astype(np.uint8)
    return out, [[lo, hi] for lo, hi in ranges]


@pytest.mark.parametrize("scale", ["channel", "shared"])
def test_vectorised_quantize_equals_the_loop(scale: str) -> None:
    gen = np.random.default_rng(0)
    a = (gen.standard_normal((9, 13, 11)) * gen.uniform(0.01, 100, (9, 1, 1))).astype(np.float32)
    a[1] = 3.0  # constant
    a[2, 0, :5] = np.nan  # padding
    a[3] = np.nan  # nothing finite
    a[4, 2, 2] = np.inf
    a[5] = np.maximum(a[5], 0)  # ReLU zeros
    got_q, got_r = encode.quantize(a, scale)  # type: ignore[arg-type]
    want_q, want_r = _quantize_loop(a, scale)
    assert np.array_equal(got_q, want_q) and got_r == want_r
    assert encode.channel_ranges(a).tolist() == [list(r) for r in _quantize_loop(a, "channel")[1]]


def test_atlas_places_tile_i_at_row_col() -> None:
    tiles = np.arange(7 * 3 * 2, dtype=np.uint8).reshape(7, 3, 2)
    png, cols = encode.atlas(tiles)
    sheet = np.asarray(Image.open(io.BytesIO(png)))
    for i in range(7):
        r, c = divmod(i, cols)
        assert np.array_equal(sheet[r * 3 : (r + 1) * 3, c * 2 : (c + 1) * 2], tiles[i])


def test_png_data_url_stretches_min_max() -> None:
    src, lo, hi = encode.png_data_url(torch.tensor([[-2.0, 0.0], [1.0, 2.0]]))
    assert src.startswith("data:image/png;base64,") and (lo, hi) == (-2.0, 2.0)


def _decoded(src: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))))


def test_png_data_url_of_one_and_three_channels() -> None:
    gray = torch.tensor([[[0.0, 0.5], [1.0, 0.25]]])  # (1, H, W): a gray image like (H, W)
    assert encode.png_data_url(gray) == encode.png_data_url(gray[0])
    assert _decoded(encode.png_data_url(gray)[0]).tolist() == [[0, 128], [255, 64]]
    rgb = torch.stack([gray[0], 1 - gray[0], torch.zeros(2, 2)])  # (3, H, W)
    pixels = _decoded(encode.png_data_url(rgb)[0])
    assert pixels.shape == (2, 2, 3) and pixels[1, 0].tolist() == [255, 0, 0]


def test_nested_lists_and_rounding() -> None:
    t = torch.tensor([[1.23456, -2.0], [0.5, 3.14159]])
    assert encode.nested(t) == t.tolist()
    np.testing.assert_allclose(encode.nested(t, 2), [[1.23, -2.0], [0.5, 3.14]], atol=1e-6)
    assert encode.nested(torch.tensor(7)) == 7
