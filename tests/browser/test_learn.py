from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_optimizers_and_ewa(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#learn")
    expect(page.locator('.tabs a[data-view="learn"]')).to_have_attribute("aria-current", "page")
    page.select_option("select[name=surface]", "elongated")
    page.fill("input[name=steps]", "60")
    page.get_by_test_id("run-optimizers").click()
    surface = page.get_by_test_id("surface")
    # Four optimizers, 60 steps each plus the start point.
    expect(surface).to_have_attribute("data-points", "61,61,61,61")
    expect(surface).to_have_attribute("data-paths", "4")
    expect(page.locator(".opt-status[data-points='61']")).to_have_count(4)
    expect(page.get_by_test_id("frame")).to_have_text("step 60 of 60")  # played to the end
    page.get_by_test_id("step").click()  # at the end: stays there
    expect(surface).to_have_attribute("data-frame", "60")

    # A too-large SGD step on the a >> b bowl blows up and says so.
    page.fill("input[name=sgd-lr]", "0.3")
    page.get_by_test_id("run-optimizers").click()
    expect(page.locator(".opt-status[data-name=sgd]")).to_contain_text("diverged")
    page.fill("input[name=sgd-lr]", "0.05")
    page.get_by_test_id("run-optimizers").click()
    expect(surface).to_have_attribute("data-points", "61,61,61,61")

    # Clicking the plot moves the start there (right of centre, above it) and reruns.
    box = surface.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    expect(page.locator(".opt-actions .start")).to_contain_text("start (1.")
    expect(surface).to_have_attribute("data-points", "61,61,61,61")

    chart = page.get_by_test_id("ewa-chart")
    expect(chart).to_have_attribute("data-beta", "0.9")
    expect(page.get_by_test_id("ewa-window")).to_contain_text("= 10 points")
    assert chart.locator("canvas").count() == 1
    page.fill("input[name=beta]", "0.98")
    expect(chart).to_have_attribute("data-beta", "0.98")
    expect(page.get_by_test_id("ewa-window")).to_contain_text("= 50 points")
    page.uncheck("input[name=bias_correction]")
    expect(chart).to_have_attribute("data-bias", "false")
    first = float(chart.get_attribute("data-first") or "nan")
    assert abs(first) < 1.0  # uncorrected: 2% of an ~8 degree first day
    page.wait_for_timeout(3000)  # let the paths finish animating for the screenshot
    shot(page, "learn")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    shot(page, "learn_phone")
