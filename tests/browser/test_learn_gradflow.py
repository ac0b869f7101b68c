from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def _ratio(page: Page) -> float:
    return float(page.get_by_test_id("gf-summary").get_attribute("data-ratio") or "nan")


def test_gradflow_at_init_and_init_panels(live_server: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/#learn")
    panel = page.locator("[data-panel=gradflow]")
    rows = panel.get_by_test_id("gf-rows").locator(".gf-row")
    expect(rows).to_have_count(10, timeout=30_000)  # the sigmoid preset: 10 linear layers
    expect(rows.first.locator("canvas.act-hist")).to_have_attribute("data-total", str(64 * 64))
    expect(panel.get_by_test_id("gf-summary")).to_contain_text("smaller than the last")
    assert _ratio(page) > 1e4  # vanishing: last / first

    panel.locator("select[name=gf-net]").select_option("preset:relu_he")
    expect(panel.get_by_test_id("gf-summary")).to_contain_text("ReLU + He init")
    assert _ratio(page) < 10
    panel.locator("input[name=gf-depth]").fill("5")
    panel.locator("input[name=gf-depth]").dispatch_event("change")
    expect(rows).to_have_count(5)
    panel.locator("select[name=gf-net]").select_option("zoo:mnist_cnn")
    expect(rows.first).to_have_attribute("data-path", "layers.0")
    panel.locator("select[name=gf-net]").select_option("preset:sigmoid")
    expect(rows).to_have_count(5)
    panel.scroll_into_view_if_needed()
    shot(page, "learn_gradflow_init")

    init = page.locator("[data-panel=init]")
    grid = init.get_by_test_id("init-grid")
    expect(grid.locator(".init-col")).to_have_count(4)
    expect(grid.locator(".init-col[data-init=he] .init-cell")).to_have_count(10)
    expect(grid.locator(".init-col[data-init=zeros] .init-same")).to_have_count(10)
    expect(grid.locator(".init-col[data-init=xavier] .init-same")).to_have_count(0)
    expect(init.locator(".init-verdict li[data-init=small]")).to_contain_text("vanishes")
    expect(init.get_by_test_id("init-chart").locator("canvas")).to_have_count(1)
    init.scroll_into_view_if_needed()
    shot(page, "learn_init_tanh")

    init.locator("select[name=init-act]").select_option("relu")
    expect(grid).to_have_attribute("data-activation", "relu")
    init.locator("input[name=init-depth]").evaluate(
        "el => { el.value = '14'; el.dispatchEvent(new Event('input')); }"
    )
    expect(init.locator(".error")).to_be_hidden()
    expect(grid).to_have_attribute("data-depth", "14", timeout=40_000)
    expect(grid.locator(".init-col[data-init=he] .init-cell")).to_have_count(14)
    expect(init.locator(".init-verdict li[data-init=xavier]")).to_contain_text("shrinks")
    expect(init.locator(".init-verdict li[data-init=he]")).to_contain_text("std goes from")
    shot(page, "learn_init_relu")

    page.set_viewport_size({"width": 390, "height": 844})
    panel.scroll_into_view_if_needed()
    shot(page, "learn_gradflow_phone")


@pytest.mark.slow
def test_gradflow_comparison_runs_four_jobs(live_server: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/#learn")
    panel = page.locator("[data-panel=gradflow]")
    for name, value in (("cmp-depth", "6"), ("cmp-width", "16"), ("cmp-images", "256"),
                        ("cmp-every", "2")):  # fmt: skip
        panel.locator(f"input[name={name}]").fill(value)
    panel.get_by_test_id("run-comparison").click()
    cards = panel.locator(".gf-card")
    expect(cards).to_have_count(4)
    for key in ("sigmoid", "relu_he", "batchnorm", "residual"):
        card = panel.locator(f".gf-card[data-run={key}]")
        expect(card).to_have_attribute("data-status", "done", timeout=180_000)
        # 256 / 64 = 4 iterations, probed at 1 and 3.
        expect(card.locator(".gf-chart")).to_have_attribute("data-points", "2")
        expect(card.locator(".gf-chart canvas")).to_have_count(1)
    expect(panel.get_by_test_id("cmp-first")).to_have_attribute("data-points", "8")
    expect(panel.get_by_test_id("cmp-status")).to_contain_text("4 of 4 runs finished")
    strip = panel.get_by_test_id("ot-strip")
    expect(strip.locator("canvas")).to_have_count(6)  # one histogram per layer
    panel.locator("input[name=ot-iter]").fill("1")
    expect(panel.locator(".gf-overtime output")).to_have_text("iteration 3")
    panel.locator(".gf-cmp").scroll_into_view_if_needed()
    shot(page, "learn_gradflow_comparison")
