"""The designer's first-hour stumbles (issue 18), each driven in Chromium at the size a new
user would meet it: the inspector, partial totals, GoogLeNet's Inception modules, the zoo
list, shape order, padlocks, and a diagram that pans, zooms, folds and selects."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import VIEWPORTS, axe_violations
from tests.browser.conftest import shot
from tests.browser.test_design import open_designer, row, start_from

pytestmark = pytest.mark.browser


def test_relu_and_flatten_show_no_null_in_the_inspector(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:lenet5")
    expect(page.get_by_test_id("total-params")).to_have_text("61,706")
    inspector = page.locator(".inspector")
    for path in ("layers.1", "layers.6"):  # ReLU, Flatten: no size formula
        page.click(f'li[data-path="{path}"] > .row-main')
        expect(inspector.locator(".layer-stats")).to_be_visible()
        expect(inspector).not_to_contain_text("null")
        expect(inspector.get_by_test_id("formula")).to_have_count(0)
    page.click('li[data-path="layers.0"] > .row-main')  # a conv has its formula
    expect(inspector.get_by_test_id("formula")).to_contain_text("=")
    page.click('li[data-path="layers.1"] > .row-main')
    shot(page, "design-relu-inspector")


def test_totals_before_an_error_are_marked_partial(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")
    totals = page.locator(".totals")
    expect(totals).not_to_have_class(re.compile("partial"))
    expect(totals).to_contain_text("Total params")
    page.click('li[data-path="layers.3"] > .row-main')
    page.fill("#f-kernel_size", "20")
    expect(page.get_by_test_id("status")).to_have_text("error at layers.3")
    expect(totals).to_have_class(re.compile("partial"))
    expect(totals).to_contain_text("Params (partial)")
    expect(totals).not_to_contain_text("Total params")
    note = page.get_by_test_id("partial-note")
    expect(note).to_contain_text("before the error at layers.3 only")
    shown = int(page.get_by_test_id("total-params").inner_text().replace(",", ""))
    assert 0 < shown < 9098  # the layers before the error only
    shot(page, "design-partial-totals")
    page.fill("#f-kernel_size", "3")
    expect(totals).not_to_have_class(re.compile("partial"))
    expect(page.get_by_test_id("partial-note")).to_have_count(0)


def test_googlenet_opens_with_named_folded_inception_modules(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:googlenet")
    expect(page.get_by_test_id("total-params")).to_have_text("6,624,904")
    modules = page.locator("li[data-type=parallel]")
    expect(modules).to_have_count(9)
    names = [n.strip() for n in modules.locator(":scope > .row-main .type").all_inner_texts()]
    want = ["3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"]
    assert [n.lstrip("▸▾ ").strip() for n in names] == [f"inception{s}" for s in want], names
    # folded: no module shows its branches, and the list is short
    expect(page.locator("li[data-type=parallel] .subs")).to_have_count(0)
    assert page.locator("li.row").count() < 40
    expect(modules.first.locator(":scope > .row-main .args")).to_contain_text("Parallel branches")
    # the diagram folds them too, by name
    folded = page.locator("[data-testid=diagram] g.dia-box.folded")
    expect(folded).to_have_count(9)
    expect(folded.first).to_contain_text("inception3a")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, height
    shot(page, "design-googlenet")
    # a module opens from its fold button
    modules.first.locator(".fold").click()
    expect(page.locator("li[data-type=parallel] .subs")).to_have_count(1)


def test_the_zoo_tells_lenet5_from_its_mnist_variant(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    opts = page.locator("[data-testid=start] option")
    expect(page.locator('[data-testid=start] option[value="zoo:lenet5"]')).to_have_count(1)
    lenet = page.locator('[data-testid=start] option[value="zoo:lenet5"]')
    mnist = page.locator('[data-testid=start] option[value="zoo:lenet5_mnist"]')
    expect(lenet).to_contain_text("input 1x32x32")
    expect(mnist).to_contain_text("input 1x28x28")
    assert (lenet.get_attribute("title") or "") != (mnist.get_attribute("title") or "")
    assert opts.count() > 10
    start_from(page, "zoo:lenet5_mnist")
    desc = page.get_by_test_id("zoo-desc")
    expect(desc).to_be_visible()
    expect(desc).to_contain_text("28x28")
    start_from(page, "t:small_cnn")
    expect(desc).to_be_hidden()


def test_one_layer_is_singular_and_shapes_read_cxhxw(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "blank")
    page.fill("[data-testid=input-channels]", "3")
    page.fill("[data-testid=input-height]", "32")
    page.fill("[data-testid=input-width]", "16")
    page.click("[data-add=conv2d]")
    page.fill("#f-out_channels", "8")
    expect(page.locator(".d-head .muted")).to_have_text("1 layer")
    # channels first, as the input is typed and as PyTorch orders a tensor
    shape = row(page, "layers.0").locator(":scope > .row-main [data-testid=shape]")
    expect(shape).to_have_text("8x30x14")
    expect(page.locator("[data-testid=diagram]")).to_contain_text("input · 3x32x16")
    expect(page.locator(".list-head")).to_contain_text("C×H×W")
    page.click("[data-add=relu]")
    expect(page.locator(".d-head .muted")).to_have_text("2 layers")


def test_padlocks_have_a_name_and_a_tooltip(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    lock = row(page, "layers.0").get_by_test_id("lock")
    expect(lock).to_have_attribute("aria-label", "Freeze layers.0")
    expect(lock).to_have_attribute("title", re.compile("Freeze this layer"))
    expect(page.get_by_role("button", name="Freeze layers.0")).to_have_count(1)
    lock.click()
    expect(lock).to_have_attribute("aria-label", "Unfreeze layers.0")
    expect(lock).to_have_attribute("title", re.compile("Click to unfreeze"))


def test_the_diagram_selects_folds_zooms_and_pans(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:resnet50")
    expect(page.get_by_test_id("total-params")).to_have_text("25,557,032")
    dia = page.get_by_test_id("diagram")
    dia.scroll_into_view_if_needed()
    # nothing is cut off on the left: the drawing opens at a width that fits its panel
    fit = dia.evaluate("el => [el.scrollWidth <= el.clientWidth + 1, el.scrollLeft]")
    assert fit == [True, 0], fit
    shot(page, "design-resnet50-diagram")
    # click a box: its layer is selected in the list and the inspector
    dia.locator('g.dia-box[data-path="layers.0.layers.0"]').click()
    expect(row(page, "layers.0.layers.0")).to_have_attribute("data-selected", "true")
    expect(page.locator(".inspector")).to_contain_text("layers.0.layers.0")
    # a block's title bar folds it, in the list too; its folded box opens it again
    dia.locator('g.dia-head[data-fold="layers.0"]').click()
    expect(dia.locator('g.dia-box.folded[data-path="layers.0"]')).to_have_count(1)
    expect(row(page, "layers.0").locator(".subs")).to_have_count(0)
    dia.locator('g.dia-box.folded[data-path="layers.0"]').click()
    expect(dia.locator('g.dia-head[data-fold="layers.0"]')).to_have_count(1)
    expect(row(page, "layers.0").locator(".subs")).to_have_count(1)
    # zoom in: the drawing grows past the panel; dragging the background pans it
    width = lambda: float(dia.locator("svg").get_attribute("width") or 0)  # noqa: E731
    before = width()
    for _ in range(4):
        page.get_by_test_id("zoom-in").click()
    assert width() > before * 1.5
    box = dia.bounding_box()
    assert box
    start = dia.evaluate("el => [el.scrollLeft, el.scrollTop]")
    x, y = box["x"] + 8, box["y"] + box["height"] / 2  # the background left of the trunk
    page.mouse.move(x + 40, y)
    page.mouse.down()
    page.mouse.move(x, y - 120, steps=6)
    page.mouse.up()
    moved = dia.evaluate("el => [el.scrollLeft, el.scrollTop]")
    assert moved[1] >= start[1] + 100, (start, moved)  # dragged up: the drawing scrolls down
    shot(page, "design-diagram-zoomed")
    page.get_by_test_id("zoom-out").click()
    assert width() < before * 3


@pytest.mark.parametrize("size", VIEWPORTS, ids=["laptop", "phone"])
def test_design_has_no_axe_violations(page: Page, live_server: str, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_designer(page, live_server)
    start_from(page, "zoo:googlenet")
    expect(page.get_by_test_id("total-params")).to_have_text("6,624,904")
    page.click('li[data-path="layers.1"] > .row-main')
    found = axe_violations(page)
    assert found == [], found
