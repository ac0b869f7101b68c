"""The convolution animator as a new user meets it (issue 18): a resized custom kernel,
photos at a useful size beside the grids, indexed grids, formula terms that point at the
grid, no axe violations, no console errors and no failed requests at both viewports."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from playwright.sync_api import Page, expect

from server.config import Settings
from server.net.data.images import sample_photo
from server.net.lab.convolve import TEXTBOOK, TEXTBOOK_KERNEL
from tests.browser.axe import VIEWPORTS, axe_violations, watch
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def _set(page: Page, name: str, value: str) -> None:
    page.fill(f"input[name={name}]", value)
    page.dispatch_event(f"input[name={name}]", "change")


def test_changing_f_resizes_the_custom_kernel(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook&p=1")
    expect(page.locator("[data-formula]")).to_contain_text("floor((5 + 2*1 - 3)/1) + 1 = 5")
    _set(page, "f", "7")
    expect(page.locator("[data-formula]")).to_contain_text("floor((5 + 2*1 - 7)/1) + 1 = 1")
    expect(page.locator(".grid-k .kcell")).to_have_count(49)
    expect(page.locator("[data-error]")).to_be_hidden()
    # The 3x3 numbers sit in the middle of the 7x7, zeros around: torch agrees on the sum.
    w7 = F.pad(torch.tensor([[TEXTBOOK_KERNEL]], dtype=torch.float32), (2, 2, 2, 2))
    want = F.conv2d(torch.tensor([[TEXTBOOK]], dtype=torch.float32), w7, padding=1)
    cell = page.locator('.grid-out [data-out-row="0"][data-out-col="0"]')
    expect(cell).to_have_attribute("data-value", str(int(want.item())))
    assert page.locator('input[aria-label="filter 0 channel 0 row 3 col 3"]').input_value() == "2"
    assert "f=7" in page.url
    shot(page, "conv-f7")
    _set(page, "f", "3")  # and back: the original numbers, in the grid and the hash
    expect(page.locator(".grid-k .kcell")).to_have_count(9)
    values = [
        int(v) for v in page.locator(".grid-k .kcell").evaluate_all("e => e.map(x => x.value)")
    ]
    assert values == [v for row in TEXTBOOK_KERNEL for v in row]


def test_a_photo_is_shown_at_its_size_above_the_grids(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=china")
    side = Settings().max_conv_side
    img = sample_photo("china")
    h = round(img.height * side / img.width)
    expect(page.locator("[data-images]")).to_contain_text(f"Input {h}×{side}")
    expect(page.locator("[data-shape]")).to_contain_text(f"3×{h}×{side}")
    natural = page.locator("[data-input-image]").evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert natural == [side, h]
    images = page.locator("[data-images]").bounding_box()
    stage = page.locator("[data-stage]").bounding_box()
    assert images and stage and images["y"] + images["height"] <= stage["y"]
    assert images["y"] < 400  # on the first screen, right under the formula
    # A hash naming only the photo gets the photo's own kernel, not the textbook's numbers.
    expect(page.locator("select[name=k]")).to_have_value("sobel_x")


def test_grids_have_row_and_column_indices(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook&p=1&s=2")
    expect(page.locator("[data-formula]")).to_contain_text("= 3")
    cols = page.locator(".grid-in .gi-col").all_inner_texts()
    rows = page.locator(".grid-in .gi-row").all_inner_texts()
    assert cols == [str(i) for i in range(7)] and rows == cols  # the padded 7x7
    assert page.locator(".grid-k .gi-col").all_inner_texts() == ["0", "1", "2"]
    assert page.locator(".grid-out .gi-row").all_inner_texts() == ["0", "1", "2"]


def _shadow(page: Page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e).boxShadow")


def test_formula_terms_point_at_the_grid(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#conv/in=textbook&p=1&s=2")
    expect(page.locator("[data-terms] [data-term]")).to_have_count(5)
    expect(page.locator("[data-term=p]")).to_have_text("p = 1")
    assert _shadow(page, ".grid-in .cell.pad:not(.win)") == "none"
    page.hover("[data-term=p]")
    expect(page.locator("section.conv")).to_have_class("conv hl-p")
    assert "156, 54, 181" in _shadow(page, ".grid-in .cell.pad:not(.win)")  # --term-p, the ring
    assert _shadow(page, ".grid-in .cell:not(.pad):not(.win)") == "none"
    page.hover("[data-term=s]")  # the next window: one stride (2 columns) on
    nxt = page.locator(".grid-in .cell.next")
    expect(nxt).to_have_count(9)
    assert sorted({int(c) for c in nxt.evaluate_all("e => e.map(x => x.dataset.inCol)")}) == [
        2,
        3,
        4,
    ]
    assert "47, 158, 68" in _shadow(page, ".grid-in .cell.next")
    page.hover("[data-term=f]")
    assert "194, 65, 12" in _shadow(page, ".grid-k .kcell")
    shot(page, "conv-terms-f")
    page.mouse.move(0, 0)
    expect(page.locator("section.conv")).to_have_class("conv")
    _set(page, "p", "2")  # a changed control flashes its place
    expect(page.locator("[data-term=p]")).to_have_text("p = 2")
    expect(page.locator("section.conv")).to_have_class("conv hl-p")
    expect(page.locator("section.conv")).to_have_class("conv", timeout=5_000)


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_conv_is_accessible_and_clean(
    page: Page, live_server: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    with watch(page) as problems:
        for rest in (
            "in=textbook",
            "in=textbook-rgb&p=1",
            "in=china",
            "in=mnist&op=maxpool&f=2&s=2",
        ):
            page.goto(f"{live_server}/#conv/{rest}")
            expect(page.locator("[data-formula]")).to_contain_text("=")
            expect(page.locator("[data-input-image]")).to_be_visible()
            assert axe_violations(page) == [], rest
        shot(page, f"conv-mnist-pool-{width}")
    assert problems == []
