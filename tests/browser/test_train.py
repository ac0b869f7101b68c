from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def train_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own: its runs table starts empty, whatever ran before."""
    with serve(fresh_settings(tmp_path_factory, "train")) as url:
        yield url


def start_run(page: Page, epochs: str = "1", lr: str = "0.001") -> None:
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", epochs)
    page.fill("input[name=lr]", lr)
    page.get_by_test_id("start").click()


def test_train_a_run_live_and_compare_two(train_server: str, page: Page) -> None:
    page.goto(f"{train_server}/#train")
    iters = page.get_by_test_id("iters-per-epoch")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=batch_size]", "64")
    expect(iters).to_contain_text("23 iterations per epoch")  # ceil(1438 / 64)
    page.fill("input[name=batch_size]", "16")
    expect(iters).to_contain_text("90 iterations per epoch")
    page.fill("input[name=val_split]", "0.5")  # pooled 1,797, half held out (rounded up)
    expect(page.get_by_test_id("split-sizes")).to_have_text("898 train / 899 held out")
    expect(iters).to_contain_text("57 iterations per epoch")
    page.fill("input[name=val_split]", "")
    expect(page.get_by_test_id("split-sizes")).to_have_text("1,438 train / 359 held out")
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
    speed = page.get_by_test_id("speed")  # the last epoch's rate, no time left once done
    expect(speed).to_contain_text("samples/s")
    expect(speed).not_to_contain_text("left")
    expect(speed).not_to_contain_text("evaluating")
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
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the Train view is {width}px wide at phone width"
    shot(page, "train_phone")


def test_pause_resume_and_the_misclassified_grid(train_server: str, page: Page) -> None:
    page.goto(f"{train_server}/#train")
    page.fill("input[name=batch_size]", "8")
    start_run(page, epochs="3")  # 180 batches an epoch, 540 in all
    status = page.get_by_test_id("run-status")
    # Pause at once: queued (it pauses on the spot) or running (the worker checkpoints before
    # its next batch); tests/jobs and tests/api pause mid-epoch and check the numbers.
    page.get_by_test_id("pause").click()
    expect(status).to_contain_text("paused", timeout=60_000)
    expect(status).to_have_attribute("data-status", "paused")
    expect(page.locator(".run-message")).to_contain_text("paused")
    expect(page.get_by_test_id("resume")).to_be_enabled()
    expect(page.get_by_test_id("pause")).to_be_disabled()
    row = page.locator(".runs-table tbody tr").first
    expect(row.locator(".badge")).to_have_text("paused")
    expect(row.get_by_role("button", name="resume run")).to_be_visible()
    shot(page, "train_paused")

    page.get_by_test_id("resume").click()
    expect(status).to_contain_text("done", timeout=180_000)
    expect(page.locator(".progress-text")).to_contain_text("iteration 540 of 540")
    expect(row.locator(".badge")).to_have_text("done")

    # The misclassified grid under the confusion matrix, and one cell of it.
    summary = page.get_by_test_id("wrong-summary")
    expect(summary).to_contain_text("of the held-out examples were wrong")
    cards = page.locator(".wrong-card")
    assert cards.count() > 0
    expect(cards.first.locator("img")).to_have_attribute("src", re.compile(r"^data:image/png"))
    cell = page.locator(".confusion .cell.pick").first
    n = int(cell.text_content() or "0")
    true, pred = cell.get_attribute("data-true"), cell.get_attribute("data-pred")
    cell.click()
    expect(summary).to_contain_text(f"True {true}, predicted {pred}: {n} example")
    expect(cards).to_have_count(min(n, 24))
    expect(cards.first.locator(".pred")).to_have_text(f"pred {pred}")
    shot(page, "train_misclassified")
    page.get_by_role("button", name="show all").click()
    expect(summary).to_contain_text("of the held-out examples were wrong")
    # A finished run opened again from the list shows its results and mistakes too.
    row.get_by_role("button", name="view run").click()
    expect(status).to_contain_text("done")
    expect(summary).to_contain_text("of the held-out examples were wrong")
    expect(page.locator(".progress-text")).to_contain_text("iteration 540 of 540")

    # Its weights: a download, and the feature-map view opened on them.
    href = page.get_by_test_id("download-weights").get_attribute("href") or ""
    body = page.request.get(f"{train_server}{href}").body()
    header_len = int.from_bytes(body[:8], "little")  # safetensors: a u64 header size, JSON
    assert b'"layers.' in body[8 : 8 + header_len]
    page.get_by_test_id("open-features").click()
    expect(page.locator("#fm-net")).to_have_value(re.compile(r"weights:run-[0-9a-f]{32}"))
    expect(page.locator("#fm-note")).to_contain_text("your run")
    expect(page.locator("#fm-note")).not_to_contain_text("random")
    expect(page.locator("#fm-preds li")).to_have_count(5, timeout=30_000)
