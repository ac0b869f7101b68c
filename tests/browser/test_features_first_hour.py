"""Feature maps' first-hour stumbles (issue 18) in Chromium: switching networks clears the
old results and says what is loading, layers run in execution order with readable names,
a ResNet-18 page stays short (its blocks fold), the Normalise select fits a phone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.axe import VIEWPORTS, axe_violations
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def ready(page: Page, grids: bool = True) -> None:
    expect(page.locator("#fm-status")).to_contain_text("layers", timeout=60_000)
    if grids:
        expect(page.locator("#fm-grids > .fm-layer canvas").first).to_be_visible(timeout=30_000)


def test_switching_networks_clears_the_old_results_while_the_new_one_loads(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/#features/net=weights:mnist_cnn&img=mnist-7")
    ready(page)
    expect(page.locator("#fm-note")).to_contain_text("Trained")
    expect(page.locator("#fm-preds")).to_have_attribute("data-top", "7")
    held: list[Route] = []
    page.route("**/api/features/overview", lambda route: held.append(route))
    page.select_option("#fm-net", "zoo:lenet5_mnist")
    loading = page.get_by_test_id("fm-loading")
    expect(loading.first).to_be_visible()
    expect(loading.first).to_contain_text("Loading LeNet-5")
    # nothing of the trained MNIST CNN is left beside the new name
    expect(page.locator("#fm-note")).not_to_contain_text("Trained")
    expect(page.locator(".fm-layer")).to_have_count(0)
    expect(page.locator("#fm-layers a")).to_have_count(0)
    expect(page.locator("#fm-preds")).not_to_have_attribute("data-top", "7")
    expect(page.locator("#fm-filters canvas")).to_have_count(0)
    expect(page.locator(".fm-main")).to_have_attribute("aria-busy", "true")
    shot(page, "features-switch-loading")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    for route in held:
        route.continue_()
    page.unroute("**/api/features/overview")
    ready(page)
    expect(page.get_by_test_id("fm-loading")).to_have_count(0)
    expect(page.locator("#fm-note")).to_contain_text("Random weights")
    expect(page.locator(".fm-main")).not_to_have_attribute("aria-busy", "true")


def test_resnet18_runs_in_order_with_readable_names_and_a_short_page(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/#features/net=zoo:resnet18&img=flower")
    ready(page)
    links = page.locator("#fm-layers a")
    paths = links.evaluate_all("els => els.map(e => e.dataset.path)")
    # the stem's conv runs first; the stem's output comes after its four layers
    assert paths[:5] == [f"layers.0.layers.{i}" for i in range(4)] + ["layers.0"], paths[:5]
    first = links.first
    expect(first.locator(".fm-lname")).to_have_text("Conv 1")
    expect(first).to_contain_text("stem")
    expect(first).to_have_attribute("title", re.compile(r"^layers\.0\.layers\.0 · conv2d"))
    body = page.locator('#fm-layers a[data-path="layers.1.layers.0.body.3"]')
    expect(body).to_contain_text("Conv 4")
    expect(body).to_contain_text("layer1 › Residual block 1 › body")
    # the grid's header: the name, and the path as the detail
    stem = page.locator('.fm-layer[data-layer="layers.0"]')
    expect(stem.locator("h3")).to_contain_text("stem")
    expect(stem.locator(".fm-path")).to_have_text("layers.0")
    # each top-level block's inner layers wait folded above its output: a short page
    groups = page.locator("details.fm-group")
    assert groups.count() >= 5
    assert all(not g.get_attribute("open") and g.get_attribute("open") != "" for g in groups.all())
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 9000, height
    shot(page, "features-resnet18-folded")
    # a layer picked in the list opens its block and loads its grid
    page.locator('#fm-layers a[data-path="layers.2.layers.0.body.0"]').click()
    grid = page.locator('.fm-layer[data-layer="layers.2.layers.0.body.0"] .fm-tile')
    expect(grid.first).to_be_visible(timeout=30_000)
    expect(page.locator('details.fm-group[data-group="layers.2"]')).to_have_attribute("open", "")


def test_the_normalise_select_fits_its_card_on_a_phone(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/#features/net=weights:mnist_cnn&img=mnist-7")
    ready(page, grids=False)
    norm = page.locator("#fm-norm")
    norm.scroll_into_view_if_needed()
    card = page.locator(".fm-card", has=norm)
    s, c = norm.bounding_box(), card.bounding_box()
    assert s and c
    assert s["x"] >= c["x"] and s["x"] + s["width"] <= c["x"] + c["width"] + 0.5, (s, c)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "features-phone-normalise")


@pytest.mark.parametrize("size", VIEWPORTS, ids=["laptop", "phone"])
def test_feature_maps_have_no_axe_violations(page: Page, live_server: str, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server}/#features/net=zoo:resnet18&img=flower")
    ready(page, grids=size[0] > 900)
    page.locator("details.fm-group").first.evaluate("d => { d.open = true; }")
    page.locator("#fm-grids > .fm-layer").first.scroll_into_view_if_needed()
    expect(page.locator("#fm-grids > .fm-layer canvas").first).to_be_visible(timeout=30_000)
    found = axe_violations(page)
    assert found == [], found
