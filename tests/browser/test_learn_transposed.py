"""The transposed-convolution panel (issue 16): step through the input cells, watch each
window added onto the output, and see the checkerboard of overlaps."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_spreading_each_input_value_and_the_checkerboard(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#learn/panel=transposed")
    panel = page.locator("[data-panel=transposed]")
    output = panel.get_by_test_id("tc-output")
    # 3x3 input 1..9, 3x3 ones kernel, stride 2: a 7x7 output
    expect(output).to_have_attribute("data-rows", "7")
    expect(panel.get_by_test_id("tc-formula")).to_contain_text(
        "(3 - 1)*2 - 2*0 + 1*(3 - 1) + 0 + 1 = 7"
    )
    expect(panel.get_by_test_id("tc-verdict")).to_have_attribute("data-checkerboard", "true")
    expect(panel.get_by_test_id("tc-step")).to_have_text("input cell 1 of 9")
    # the first window: value 1 over the top-left 3x3 of the output
    window = panel.get_by_test_id("tc-output-window")
    expect(window).to_have_attribute("x", "0")
    expect(window).to_have_attribute("width", "90")
    panel.get_by_test_id("tc-next").click()
    expect(panel.get_by_test_id("tc-step")).to_have_text("input cell 2 of 9")
    expect(window).to_have_attribute("x", "60")  # stride 2 cells further right
    # where the two windows overlap, 1 + 2 = 3
    texts = output.locator("text").all_text_contents()
    assert texts[:7] == ["1", "1", "3", "2", "2", "0", "0"]
    overlap = panel.get_by_test_id("tc-overlap").locator("text").all_text_contents()
    assert overlap[2 * 7 : 3 * 7] == ["2", "2", "4", "2", "4", "2", "2"]  # the 3rd row
    shot(page, "learn_transposed_checkerboard")

    # a kernel size divisible by the stride tiles the output: no checkerboard
    panel.locator("select[name=tc-kernel]").select_option("2")
    expect(panel.get_by_test_id("tc-verdict")).to_have_attribute("data-checkerboard", "false")
    expect(output).to_have_attribute("data-rows", "6")
    overlap = panel.get_by_test_id("tc-overlap").locator("text").all_text_contents()
    assert set(overlap) == {"1"}
    expect(page).to_have_url(f"{live_server}/#learn/panel=transposed&tc-kernel=2")
    shot(page, "learn_transposed_even")
    panel.scroll_into_view_if_needed()
    violations = [v for v in axe_violations(page) if any("tc-" in n for n in v["nodes"])]
    assert violations == []
