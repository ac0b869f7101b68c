"""The Train view's Transfer learning section: modes, parameter counts, and the race of a
frozen pretrained network against the same network from scratch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_transfer_vs_scratch_preset_in_one_click(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#train")
    section = page.get_by_test_id("transfer")
    expect(section.get_by_test_id("pretrained")).to_have_value("tiny_resnet_digits04")
    expect(section.locator(".source")).to_contain_text("MNIST digits 0-4")
    # Fine-tune the later layers (the preset's mode), with no designer locks: the stem and
    # the first residual block (layers.0-4) stay frozen.
    expect(page.locator("input[name=mode][value=later]")).to_be_checked()
    chips = section.locator(".frozen-paths .chip")
    expect(chips).to_have_count(5)
    expect(chips.first).to_contain_text("layers.0 conv2d")
    expect(section.get_by_test_id("locks-from")).to_contain_text("the first conv stage")
    counts = section.get_by_test_id("param-counts")
    expect(counts.locator(".count.frozen .value")).to_have_text(f"{144 + 32 + 4_672:,}")
    # Frozen feature extractor: everything through the flatten; only the 5-way head trains.
    section.locator(".mode", has_text="Frozen feature extractor").click()
    expect(chips).to_have_count(11)
    expect(counts.locator(".count:not(.frozen) .value")).to_have_text(f"{32 * 5 + 5}")
    section.locator(".mode", has_text="Fine-tune everything").click()
    expect(section.get_by_test_id("frozen-paths")).to_contain_text("No layer is frozen")

    # The guide's first card sets up the preset and runs both networks in one click.
    section.locator(".guide-card.preset").click()
    expect(page.locator("input[name=mode][value=later]")).to_be_checked()
    expect(page.locator("input[name=t_epochs]")).to_have_value("40")
    expect(section.get_by_test_id("steps")).to_contain_text("= 80 steps for each run")
    verdict = section.get_by_test_id("verdict")
    # while they train: both runs' progress, the time so far and their curves (issue 18)
    expect(verdict.get_by_test_id("race-row")).to_have_count(2)
    page.evaluate(
        """() => {
          window.__race = [];
          const el = document.querySelector('[data-testid=verdict]');
          new MutationObserver(() => window.__race.push(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
        }"""
    )
    expect(verdict.get_by_role("progressbar", name="transfer: progress")).to_have_count(1)
    expect(verdict.get_by_role("progressbar", name="from scratch: progress")).to_have_count(1)
    section.scroll_into_view_if_needed()
    shot(page, "transfer_race")
    expect(verdict).to_contain_text("vs scratch:", timeout=300_000)
    seen = page.evaluate("window.__race")
    assert any(re.search(r"iteration \d+ of 80", s) for s in seen), seen[-3:]
    expect(verdict).to_contain_text(re.compile(r"transfer: \d+\.\d% vs scratch: \d+\.\d%"))
    # Measured: about 90% against 70% (fixed seeds); the test asks for 10 points.
    got = re.search(r"transfer: ([\d.]+)% vs scratch: ([\d.]+)%", verdict.inner_text())
    assert got and float(got[1]) >= float(got[2]) + 10, verdict.inner_text()
    expect(verdict).to_contain_text("transfer ahead by")
    expect(page.locator(".compare h3")).to_have_text("Comparing 2 runs")
    legend = page.locator(".compare .u-legend").last
    expect(legend).to_contain_text("Transfer: fine-tune the later layers")
    expect(legend).to_contain_text("From scratch")
    assert page.locator(".compare canvas").count() == 2
    section.scroll_into_view_if_needed()
    shot(page, "transfer_done")
    page.locator(".compare").scroll_into_view_if_needed()
    shot(page, "transfer_overlay")
    page.set_viewport_size({"width": 390, "height": 844})
    section.scroll_into_view_if_needed()
    shot(page, "transfer_phone")


def test_target_tasks_come_from_the_dataset_list(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#train")
    section = page.get_by_test_id("transfer")
    target = section.get_by_test_id("target")
    expect(target).to_have_value("mnist:5-9")
    expect(target.locator("option[value=digits]")).to_have_count(1)
    expect(target.locator("option[value=shapes]")).to_contain_text("4 classes")
    section.get_by_test_id("pretrained").select_option("mnist_cnn_digits04")
    section.locator(".mode", has_text="Frozen feature extractor").click()
    counts = section.get_by_test_id("param-counts")
    # Frozen feature extractor on mnist_cnn: 1568 -> 64 -> k; the head follows the target.
    trainable = counts.locator(".count:not(.frozen) .value")
    expect(trainable).to_have_text(f"{1568 * 64 + 64 + 64 * 5 + 5:,}")
    target.select_option("shapes")
    expect(trainable).to_have_text(f"{1568 * 64 + 64 + 64 * 4 + 4:,}")
    expect(section.locator(".target-note")).to_contain_text("4-way head")
    # Sizes set the epochs so that every size gets enough steps; the steps are shown.
    section.locator(".seg label", has_text=re.compile(r"^50$")).click()
    expect(section.get_by_test_id("steps")).to_contain_text("200 training images")
    shot(page, "transfer_targets")
