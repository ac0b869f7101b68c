"""Segmentation in the Train view (issue 16): pick the U-Net, train on the shapes masks,
watch the live image | true | predicted panel update each epoch, then the worst-IoU
gallery. The run is shortened (train_limit) by rewriting the start request: the form has
no such field, and a full epoch is a minute on a shared CPU."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

import models
from tests.browser.axe import WCAG_AA, load_axe
from tests.browser.conftest import fresh_settings, serve, shorten_runs, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def masks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(fresh_settings(tmp_path_factory, "train_masks")) as url:
        yield url


def mask_violations(page: Page) -> list[str]:
    """axe (WCAG 2 AA) on this issue's parts of the page: the mask card and the results."""
    load_axe(page)
    return page.evaluate(
        """async (tags) => {
          const r = await axe.run({ include: [[".train-masks"], [".run-results"]] },
            { runOnly: { type: "tag", values: tags } });
          return r.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ")));
        }""",
        WCAG_AA,
    )


def test_train_a_unet_and_watch_its_masks(masks_server: str, page: Page) -> None:
    page.goto(f"{masks_server}/#train")
    shorten_runs(page)
    page.select_option("select[name=network]", "zoo:unet_small")
    # A segmentation net picks a dataset of masks by itself.
    expect(page.locator("select[name=dataset]")).to_have_value("shapes_masks")
    # ...and starts from the U-Net's measured recipe (its zoo entry's `train`).
    preset = models.entry("unet_small").train or {}
    assert preset, "unet_small carries the Train view's starting settings"
    for name, value in preset.items():
        expect(page.locator(f"[name={name}]")).to_have_value(str(value))
    page.fill("input[name=epochs]", "3")
    page.fill("input[name=batch_size]", "16")
    page.fill("input[name=lr]", "0.01")
    page.evaluate(
        """() => {
          window.__masks = [];
          const watch = () => {
            const el = document.querySelector('[data-testid=mask-epoch]');
            if (!el) return requestAnimationFrame(watch);
            new MutationObserver(() => window.__masks.push([el.textContent,
              [...document.querySelectorAll('[data-testid=mask-pred]')].map((i) => i.src)]))
              .observe(el, {childList: true, characterData: true, subtree: true});
          };
          watch();
        }"""
    )
    page.get_by_test_id("start").click()
    card = page.get_by_test_id("mask-card")
    expect(card).to_be_visible(timeout=120_000)
    expect(card.get_by_test_id("mask-image")).to_have_count(4)
    expect(card.get_by_test_id("mask-true")).to_have_count(4)
    expect(card.get_by_test_id("mask-pred")).to_have_count(4)
    legend = card.get_by_test_id("mask-legend").locator("li")
    expect(legend).to_have_text(["background", "circle", "square", "triangle", "line"])
    shot(page, "train_masks_live")
    expect(page.get_by_test_id("run-status")).to_contain_text("done", timeout=180_000)
    expect(page.get_by_test_id("mask-epoch")).to_contain_text("Epoch 3")
    seen = page.evaluate("window.__masks")
    # The panel was redrawn for later epochs with the epoch's own predicted masks.
    assert {"Epoch 2", "Epoch 3"} <= {text.split(":")[0] for text, _ in seen}, seen
    assert len({tuple(srcs) for _, srcs in seen}) >= 2, seen
    assert page.locator('[data-chart="epoch-miou"] canvas').count() == 1

    # After the run: mIoU, the per-class IoU table and the worst-IoU gallery.
    expect(page.get_by_test_id("final-miou")).to_have_text(re.compile(r"^[01]\.\d{3}$"))
    table = page.get_by_test_id("iou-table").locator("tbody tr")
    expect(table).to_have_count(5)
    grid = page.get_by_test_id("worst-grid")
    expect(grid.locator("figure")).to_have_count(12, timeout=90_000)  # held-out set loads once
    ious = [float(t) for t in grid.get_by_test_id("mask-iou").all_inner_texts()]
    assert ious == sorted(ious)
    expect(page.get_by_test_id("worst-summary")).to_contain_text("500 held-out examples")
    page.get_by_test_id("worst-next").click()
    expect(page.locator(".wrong-pager span")).to_contain_text("13-24 of 500")
    shot(page, "train_masks_done")
    assert mask_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "train_masks_phone")

    # The run's feature maps: each U-Net level's encoder beside its decoder.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_test_id("open-features").click()
    levels = page.get_by_test_id("unet-levels")
    expect(levels).to_be_visible(timeout=60_000)
    # three skip levels, the bottleneck and its global-max context (1x1, no decoder)
    expect(levels.locator(".fm-level")).to_have_count(5)
    expect(levels.get_by_test_id("unet-encoder")).to_have_count(5)
    expect(levels.get_by_test_id("unet-decoder")).to_have_count(3)
    expect(levels.get_by_test_id("unet-decoder").first.locator("canvas")).to_have_count(8)
    expect(levels.get_by_test_id("unet-encoder").first).to_contain_text("8x64x64")
    shot(page, "features_unet_levels")
