"""Inside learning: the L1 vs L2 panel and the LSTM/GRU gates panel, drawn in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_the_constraint_picture_moves_with_the_budget(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#learn")
    panel = page.locator("[data-panel=l1l2]")
    canvas = page.get_by_test_id("constraint")
    expect(canvas).to_have_attribute("data-budget", "1")
    expect(canvas).to_have_attribute("data-l1", "1.0000,0.0000")  # on the w1 axis
    readout = page.get_by_test_id("constraint-readout")
    expect(readout).to_contain_text("one coordinate is exactly 0")
    expect(readout).to_contain_text("no coordinate is 0")
    page.fill("input[name=budget]", "3")  # the budget no longer binds for L2
    expect(canvas).to_have_attribute("data-budget", "3")
    expect(canvas).to_have_attribute("data-l2", "2.0000,1.0000")
    page.fill("input[name=budget]", "1.5")
    expect(canvas).to_have_attribute("data-l1", "1.5000,0.0000")
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(shot(page, "learn_l1l2").with_name("learn_constraint.png")))


@pytest.mark.slow
def test_l1_vs_l2_trains_three_runs_and_compares_weights(live_server: str, page: Page) -> None:
    # Three real runs through the job runner (two at a time): about a minute on a busy CI box.
    page.goto(f"{live_server}/#learn")
    panel = page.locator("[data-panel=l1l2]")
    page.fill("input[name=budget]", "1.5")
    page.fill("input[name=l1l2-epochs]", "2")
    page.get_by_test_id("l1l2-train").click()
    expect(panel).to_have_attribute("data-done", "3", timeout=120_000)
    cards = panel.locator(".l12-card")
    expect(cards).to_have_count(3)
    for kind in ("none", "l1", "l2"):
        expect(page.get_by_test_id(f"near-zero-{kind}")).to_contain_text("of 4,736")
        assert panel.locator(f".l12-card[data-kind={kind}] canvas").count() == 1
    share = {
        k: float(
            panel.locator(f".l12-card[data-kind={k}]").get_attribute("data-near-zero") or "nan"
        )
        for k in ("l1", "l2")
    }
    assert share["l1"] > share["l2"]
    page.check("input[name=l1l2-log]")
    expect(panel).to_have_attribute("data-log", "true")
    panel.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    panel.screenshot(path=str(shot(page, "learn_l1l2").with_name("learn_l1l2_panel.png")))


def test_gates_of_the_shipped_lstm_and_gru(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#learn")
    panel = page.locator("[data-panel=gates]")
    expect(panel).to_have_attribute("data-kind", "lstm")  # the first network, digit 7
    expect(panel).to_have_attribute("data-maps", "6")  # i, f, g, o, c, h
    expect(page.get_by_test_id("gates-prediction")).to_contain_text("Prediction 7")
    expect(page.get_by_test_id("gates-formula")).to_contain_text("80,896")

    page.select_option("select[name=gates-net]", "rnn_mnist_gru")
    panel.locator("button[data-digit='3']").click()
    expect(panel).to_have_attribute("data-digit", "3")
    expect(panel).to_have_attribute("data-kind", "gru")
    expect(panel).to_have_attribute("data-maps", "4")  # r, z, n, h
    expect(page.get_by_test_id("gates-prediction")).to_contain_text("label 3")

    # Hovering step 15 of the update-gate map highlights row 15 of the image.
    panel.scroll_into_view_if_needed()
    frame = panel.locator("[data-map=update] .gt-frame")
    box = frame.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, box["y"] + 14 * 8 + 4)
    expect(panel).to_have_attribute("data-step", "14")
    mark = panel.locator("[data-map=image] .gt-mark")
    expect(mark).to_be_visible()
    expect(page.get_by_test_id("gates-step")).to_contain_text("Step 15 of 28")
    panel.screenshot(path=str(shot(page, "learn_gates").with_name("learn_gates_panel.png")))

    # A drawn digit: a vertical stroke is read row by row like any MNIST image.
    panel.locator("button[data-digit=draw]").click()
    pad = panel.locator(".gt-pad canvas")
    expect(pad).to_be_visible()
    box = pad.bounding_box()
    assert box is not None
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 25)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x, box["y"] + 25 + k * 12)
    page.mouse.up()
    expect(panel).to_have_attribute("data-digit", "draw")
    expect(page.get_by_test_id("gates-prediction")).not_to_contain_text("label")
    expect(page.get_by_test_id("gates-prediction")).to_contain_text("Prediction")
    page.select_option("select[name=gates-net]", "rnn_mnist_lstm")
    expect(panel).to_have_attribute("data-kind", "lstm")
    panel.screenshot(path=str(shot(page, "learn_gates").with_name("learn_gates_drawn.png")))
