"""The convolution animator in Chromium: the page shows torch's numbers."""

from __future__ import annotations

import io
import re

import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from playwright.sync_api import Page, expect

from server.net.lab.convolve import TEXTBOOK, TEXTBOOK_KERNEL
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def _read_outputs_by_stepping(page: Page, rows: int, cols: int) -> list[list[float]]:
    """Step through every output cell, reading each one as it fills in."""
    got = [[0.0] * cols for _ in range(rows)]
    for k in range(rows * cols):
        if k:
            page.click("[data-next]")
        i, j = divmod(k, cols)
        cell = page.locator(f'.grid-out [data-out-row="{i}"][data-out-col="{j}"]')
        expect(cell).to_have_class("cell out filled current")
        got[i][j] = float(cell.get_attribute("data-value"))
    return got


def _torch(stride: int, padding: int) -> list[list[float]]:
    x = torch.tensor([[TEXTBOOK]], dtype=torch.float32)
    w = torch.tensor([[TEXTBOOK_KERNEL]], dtype=torch.float32)
    return F.conv2d(x, w, stride=stride, padding=padding)[0, 0].tolist()


def test_textbook_steps_equal_torch(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook")
    expect(page.locator("[data-formula]")).to_contain_text("= 3")
    got = _read_outputs_by_stepping(page, 3, 3)
    assert got == _torch(1, 0)
    assert page.locator(".grid-in .cell.win").count() == 9
    expect(page.locator("[data-calc]")).to_contain_text("= 14")
    shot(page, "conv-textbook")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "conv-textbook-phone")


def test_padding_and_stride(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook&p=1&s=2")
    expect(page.locator("[data-formula]")).to_contain_text("floor((5 + 2*1 - 3)/2) + 1 = 3")
    assert page.locator(".grid-in .cell.pad").count() == 7 * 7 - 25
    got = _read_outputs_by_stepping(page, 3, 3)
    assert got == _torch(2, 1)
    shot(page, "conv-pad-stride")


def test_controls_update_hash_and_formula(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook")
    expect(page.locator("[data-formula]")).to_contain_text("= 3")
    page.fill("input[name=d]", "2")
    page.dispatch_event("input[name=d]", "change")
    expect(page.locator("[data-formula]")).to_contain_text("= 1")
    assert "d=2" in page.url
    page.fill("input[name=d]", "3")
    page.dispatch_event("input[name=d]", "change")  # 7-cell span on a 5-cell input
    expect(page.locator("[data-error]")).to_contain_text("padded input")


def test_maxpool_marks_the_maximum(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook&op=maxpool&f=2&s=2")
    expect(page.locator("[data-formula]")).to_contain_text("= 2")
    page.click("[data-next]")  # output (0, 1): window rows 0-1, cols 2-3 -> 3
    chosen = page.locator(".grid-in .cell.chosen")
    expect(chosen).to_have_count(1)
    assert chosen.inner_text() == "3"
    assert (chosen.get_attribute("data-in-row"), chosen.get_attribute("data-in-col")) == ("1", "3")
    cell = page.locator('.grid-out [data-out-row="0"][data-out-col="1"]')
    assert cell.get_attribute("data-value") == "3"
    shot(page, "conv-maxpool")


def test_multichannel(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook-rgb")
    page.select_option("select[name=in]", "textbook-rgb")
    expect(page.locator(".grid-in")).to_have_count(3)
    expect(page.locator("[data-shape]")).to_contain_text("output 2×3×3")
    expect(page.locator("[data-calc]")).to_contain_text("R ")
    shot(page, "conv-rgb")


def test_upload_shows_sobel_edges(page: Page, live_server: str) -> None:
    img = Image.new("RGB", (120, 80), (20, 30, 40))
    img.paste((240, 220, 200), (60, 0, 120, 80))  # a vertical edge in the middle
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    page.goto(f"{live_server}/#conv/in=textbook")
    expect(page.locator("[data-formula]")).to_contain_text("= 3")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "edge.png", "mimeType": "image/png", "buffer": buf.getvalue()}],
    )
    # A small upload keeps its own size (up to max_conv_side; issue 18).
    expect(page.locator("[data-shape]")).to_contain_text("output 1×80×120")
    expect(page.locator("select[name=k]")).to_have_value("sobel_x")
    out = page.locator("[data-output-image]")
    expect(out).to_have_attribute("src", re.compile(r"^data:image/png;base64,.+"))
    # the edge column is the brightest in the filtered image
    bright = page.evaluate(
        """async () => {
          const img = document.querySelector('[data-output-image]');
          await img.decode();
          const c = document.createElement('canvas');
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext('2d'); g.drawImage(img, 0, 0);
          const row = g.getImageData(0, 20, c.width, 1).data;
          let best = 0; for (let x = 0; x < c.width; x++) if (row[4*x] > row[4*best]) best = x;
          return best;
        }"""
    )
    assert 58 <= bright <= 61  # the edge sits at x = 60 of 120
    shot(page, "conv-upload-sobel")
    page.set_input_files(
        "input[name=file]", files=[{"name": "bad.png", "mimeType": "image/png", "buffer": b"nope"}]
    )
    expect(page.locator("[data-error]")).to_contain_text("not an image")
