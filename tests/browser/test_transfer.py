"""The Train view's Transfer learning section: modes, parameter counts, and the race of a
frozen pretrained network against the same network from scratch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_transfer_vs_scratch_overlay_and_verdict(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#train")
    section = page.get_by_test_id("transfer")
    expect(section.get_by_test_id("pretrained")).to_have_value("mnist_cnn_digits04")
    expect(section.locator(".source")).to_contain_text("MNIST digits 0-4")
    # Frozen feature extractor: layers.0-6 of mnist_cnn (up to the flatten) are frozen.
    chips = section.locator(".frozen-paths .chip")
    expect(chips).to_have_count(7)
    expect(chips.first).to_contain_text("layers.0 conv2d")
    counts = section.get_by_test_id("param-counts")
    expect(counts).to_contain_text("trainable parameters")
    frozen_text = counts.locator(".count.frozen .value").inner_text()
    # Fine-tune the later layers: only the first conv stage (conv, relu, pool) is frozen.
    section.locator(".mode", has_text="Fine-tune the later layers").click()
    expect(chips).to_have_count(3)
    expect(counts.locator(".count.frozen .value")).not_to_have_text(frozen_text)
    section.locator(".mode", has_text="Fine-tune everything").click()
    expect(section.get_by_test_id("frozen-paths")).to_contain_text("No layer is frozen")
    # The guide's "little data, similar problem" card is the frozen preset.
    section.locator(".guide-card.preset").click()
    expect(chips).to_have_count(7)

    section.locator(".seg label", has_text="10").click()
    page.fill("input[name=t_epochs]", "1")
    section.get_by_test_id("run-transfer").click()
    verdict = section.get_by_test_id("verdict")
    expect(verdict).to_contain_text("vs scratch:", timeout=90_000)
    expect(verdict).to_contain_text(re.compile(r"transfer: \d+\.\d% vs scratch: \d+\.\d%"))
    expect(page.locator(".compare h3")).to_have_text("Comparing 2 runs")
    legend = page.locator(".compare .u-legend").last
    expect(legend).to_contain_text("Transfer: frozen feature extractor")
    expect(legend).to_contain_text("From scratch")
    assert page.locator(".compare canvas").count() == 2
    expect(page.locator(".compare-table tr.differs th")).to_have_text(["Init from"])
    section.scroll_into_view_if_needed()
    shot(page, "transfer_done")
    page.locator(".compare").scroll_into_view_if_needed()
    shot(page, "transfer_overlay")
    page.set_viewport_size({"width": 390, "height": 844})
    section.scroll_into_view_if_needed()
    shot(page, "transfer_phone")
