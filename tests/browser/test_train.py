from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def start_run(page: Page, epochs: str = "1", lr: str = "0.001") -> None:
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", epochs)
    page.fill("input[name=lr]", lr)
    page.get_by_test_id("start").click()


def test_train_a_run_live_and_compare_two(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#train")
    iters = page.get_by_test_id("iters-per-epoch")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=batch_size]", "64")
    expect(iters).to_contain_text("23 iterations per epoch")  # ceil(1438 / 64)
    page.fill("input[name=batch_size]", "16")
    expect(iters).to_contain_text("90 iterations per epoch")
    # Collect every progress line the page shows: the charts grow with them.
    page.evaluate(
        """() => {
          window.__seen = [];
          const el = document.querySelector('.progress-text');
          new MutationObserver(() => window.__seen.push(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.fill("input[name=batch_size]", "16")
    start_run(page, epochs="2")
    status = page.get_by_test_id("run-status")
    expect(status).to_contain_text("done", timeout=60_000)
    expect(page.locator(".progress-text")).to_contain_text("iteration 180 of 180")
    seen = set(page.evaluate("window.__seen"))
    assert len([t for t in seen if t.startswith("iteration")]) >= 2, seen
    expect(page.get_by_test_id("final-accuracy")).to_contain_text("%")
    assert page.locator(".confusion .cell").count() == 100
    assert page.locator(".metrics-table tbody tr").count() == 10
    assert page.locator('[data-chart="iter-loss"] canvas').count() == 1
    shot(page, "train_done")

    page.fill("input[name=batch_size]", "64")
    start_run(page, lr="0.01")
    rows = page.locator(".runs-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".runs-table .badge[data-status=done]")).to_have_count(2, timeout=90_000)
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    expect(page.locator(".compare h3")).to_have_text("Comparing 2 runs")
    differs = page.locator(".compare-table tr.differs th")
    expect(differs).to_have_text(["Batch", "Epochs", "LR"])
    assert page.locator(".compare canvas").count() == 2
    shot(page, "train_compare")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "train_phone")
