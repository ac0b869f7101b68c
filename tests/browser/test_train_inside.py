"""The Train view's "Inside the network" panel (issue 19): LeNet-5 trains an epoch on MNIST
while its filters and the probe's feature maps redraw; the slider replays the finished run."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.axe import axe_violations, watch
from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FILTER_PIXELS = """() => [...document.querySelectorAll('[data-testid=inside-filters] canvas')]
  .map((c) => c.toDataURL()).join('|')"""


@pytest.fixture(scope="module")
def inside_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(fresh_settings(tmp_path_factory, "inside")) as url:
        yield url


def scrub(page: Page, index: int) -> None:
    page.get_by_test_id("inside-slider").evaluate(
        "(el, i) => { el.value = String(i); el.dispatchEvent(new Event('input')); }", index
    )
    expect(page.get_by_test_id("inside-card")).to_have_attribute("data-index", str(index))


def test_lenet_filters_change_and_the_run_replays(inside_server: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    with watch(page) as problems:
        page.goto(f"{inside_server}/#train")
        page.select_option("select[name=network]", "zoo:lenet5_mnist")
        page.select_option("select[name=dataset]", "mnist")
        page.fill("input[name=epochs]", "1")
        page.get_by_test_id("start").click()
        card = page.get_by_test_id("inside-card")
        expect(card).to_be_visible(timeout=60_000)  # the first snapshot: random filters
        expect(page.get_by_test_id("run-status")).to_contain_text("done", timeout=180_000)
        count = int(card.get_attribute("data-count") or "0")
        assert count >= 3, f"only {count} snapshots in an epoch"
        filters = page.get_by_test_id("inside-filters")
        expect(filters.locator("canvas")).to_have_count(6)  # LeNet-5's six 5x5 filters
        # Every layer of the probe (input + 12 layers), a few maps each; the prediction bars.
        expect(page.locator(".inside-layer")).to_have_count(13)
        expect(page.locator(".inside-preds li")).to_have_count(10)
        assert page.locator(".inside-moves li[data-frozen='0']").count() == 5
        expect(card).to_have_attribute("data-index", str(count - 1))  # follows the newest
        last = page.evaluate(FILTER_PIXELS)
        last_iter = int(card.get_attribute("data-iter") or "0")
        shot(page, "train_inside_done")
        scrub(page, 0)
        expect(page.get_by_test_id("inside-label")).to_contain_text("iteration 0 ")
        first = page.evaluate(FILTER_PIXELS)
        assert first and last and first != last, "the filters did not change while training"
        shot(page, "train_inside_first")
        # The panel and its form fields (the rest of the view is issue 18's).
        mine = [
            (v["id"], n)
            for v in axe_violations(page)
            for n in v["nodes"]
            if "inside" in n.split(" :: ")[0]
        ]
        assert not mine, mine

        # A finished run opened again from the list replays from its stored snapshots.
        page.reload()
        row = page.locator(".runs-table tbody tr").first
        row.get_by_role("button", name="view run").click()
        expect(card).to_be_visible(timeout=30_000)
        expect(card).to_have_attribute("data-iter", str(last_iter))
        assert page.evaluate(FILTER_PIXELS) == last
        scrub(page, 0)
        assert page.evaluate(FILTER_PIXELS) == first
        scrub(page, count // 2)
        middle = int(card.get_attribute("data-iter") or "0")
        assert 0 < middle < last_iter
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the Train view is {width}px wide at phone width"
        card.scroll_into_view_if_needed()
        shot(page, "train_inside_phone")
    assert not problems, problems


def test_a_drawn_probe_through_a_network_without_convolutions(
    inside_server: str, page: Page
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{inside_server}/#train")
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", "1")
    page.select_option("select[name=probe_source]", "drawing")
    pad = page.locator(".inside-pad canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box
    page.mouse.move(box["x"] + 56, box["y"] + 15)
    page.mouse.down()
    page.mouse.move(box["x"] + 56, box["y"] + 95, steps=8)  # a "1"
    page.mouse.up()
    expect(page.locator(".inside-pad[data-ready='1']")).to_have_count(1)  # its PNG is made
    page.get_by_test_id("start").click()
    card = page.get_by_test_id("inside-card")
    expect(card).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("inside-filters")).to_contain_text("no convolution layer")
    expect(page.locator(".inside-layer[data-layer=input]")).to_contain_text("your drawing")
    expect(page.get_by_test_id("run-status")).to_contain_text("done", timeout=120_000)
    expect(page.locator(".inside-preds li")).to_have_count(10)
    shot(page, "train_inside_mlp_drawing")


def test_a_transfer_run_shows_which_layers_stay_frozen(inside_server: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    # The preset clicked before the network list has come still runs (CI once clicked it
    # first, and the click did nothing): the list is held until after the click.
    held: list[Route] = []
    page.route("**/api/pretrained", lambda route: held.append(route))
    page.goto(f"{inside_server}/#train")
    section = page.get_by_test_id("transfer")
    section.locator(".guide-card.preset").click()  # fine-tune the later layers
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the page never asked for the pretrained networks"
    for route in held:
        route.continue_()
    page.unroute("**/api/pretrained")
    frozen = page.locator(".inside-moves li[data-frozen='1']")
    expect(frozen.first).to_be_visible(timeout=120_000)
    moving = page.locator(".inside-moves li[data-frozen='0']")
    expect(moving.first).to_be_visible()
    assert frozen.first.get_attribute("data-path") == "layers.0"  # the stem stays
    expect(frozen.first.locator(".inside-change")).to_have_text("frozen")
    page.get_by_test_id("inside-card").scroll_into_view_if_needed()
    shot(page, "train_inside_transfer")
