from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_gradcheck_and_train_eval_panels(live_server: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/#learn")
    panel = page.locator("[data-panel=gradcheck]")
    rows = panel.locator(".gc-bars .gc-row")
    expect(rows.first).to_be_visible(timeout=20_000)  # the tiny net is checked on mount
    expect(panel.get_by_test_id("gc-summary")).to_contain_text("All 8 layers agree")
    expect(panel.locator(".gc-row[data-verdict=bug]")).to_have_count(0)

    panel.locator("input[name=gc-broken]").check()
    panel.get_by_test_id("run-gradcheck").click()
    broken = panel.locator(".gc-bars .gc-row[data-path=broken]")
    expect(broken).to_have_attribute("data-verdict", "bug", timeout=20_000)
    expect(panel.locator(".gc-bars .gc-row[data-verdict=bug]")).to_have_count(1)
    expect(panel.get_by_test_id("gc-summary")).to_contain_text("1 of 9 layers disagree")

    modes = page.locator("[data-panel=modes]")
    expect(modes.locator(".md-side[data-mode=train] .md-heat span")).to_have_count(12 * 8)
    expect(modes.locator(".md-side[data-mode=eval] .md-heat span.dropped")).to_have_count(0)
    assert modes.locator(".md-side[data-mode=train] .md-heat span.dropped").count() > 0
    expect(modes.get_by_test_id("modes-stats").locator("tbody tr")).to_have_count(8)
    panel.scroll_into_view_if_needed()
    shot(page, "learn_gradcheck")
    modes.scroll_into_view_if_needed()
    shot(page, "learn_modes")

    # p = 0: nothing is dropped in train mode either.
    modes.locator("input[name=p]").fill("0")
    expect(modes.locator(".md-side[data-mode=train] p")).to_contain_text("0 of 96")
    page.set_viewport_size({"width": 390, "height": 844})
    panel.scroll_into_view_if_needed()
    shot(page, "learn_gradcheck_phone")
