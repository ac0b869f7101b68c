"""Inside learning as a new user meets it (issue 18): deep tanh stacks draw (the log chart
has a floor), the cost limit is a message in the panel, a table of contents, the setup in
the hash, axes and a colour key on the contour plot, and no axe violations, console
errors or failed requests at both viewports."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from server.net.lab.optim_paths import SURFACES
from tests.browser.axe import VIEWPORTS, axe_violations, watch
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def _depth(page: Page, n: int) -> None:
    page.fill("input[name=init-depth]", str(n))


def test_deep_tanh_stacks_draw_and_the_cost_limit_is_a_message(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/#learn/panel=init")
    init = page.locator("[data-panel=init]")
    grid = init.get_by_test_id("init-grid")
    expect(grid).to_have_attribute("data-depth", "10")
    _depth(page, 25)  # small init: std 2e-24 by layer 25, under the log chart's floor
    expect(grid).to_have_attribute("data-depth", "25")
    chart = init.get_by_test_id("init-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart).to_have_attribute("data-floored", "true")
    expect(init.locator(".init-floor")).to_be_visible()
    legend = chart.locator(".u-legend").bounding_box()
    assert legend and legend["height"] < 60  # one row, not a column of wrapped labels
    init.scroll_into_view_if_needed()
    init.screenshot(path=str(shot(page, "learn-init-25").with_name("learn-init-25.png")))
    _depth(page, 30)  # 4 x 30 x 128^2 x 256 multiply-adds: over the limit
    error = init.locator(".error")
    expect(error).to_contain_text("at most 29 layers")
    expect(error).to_contain_text("CNNPLAY_MAX_INIT_MACS")
    expect(chart.locator("canvas")).to_have_count(0)  # nothing stale beside the message
    expect(grid.locator(".init-col")).to_have_count(0)
    err_box = error.bounding_box()
    controls = init.locator(".init-controls").bounding_box()
    assert err_box and controls and 0 <= err_box["y"] - controls["y"] < 200  # under them
    _depth(page, 29)
    expect(grid).to_have_attribute("data-depth", "29")
    expect(error).to_be_hidden()


def test_table_of_contents_and_the_setup_in_the_hash(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#learn")
    toc = page.locator("nav.learn-toc a")
    expect(toc).to_have_count(9)
    assert page.locator("[data-panel]").count() == 9
    page.click("nav.learn-toc a[data-toc=init]")
    expect(page).to_have_url(f"{live_server}/#learn/panel=init")
    expect(page.locator("[data-panel=init]")).to_be_in_viewport()
    page.select_option("select[name=init-act]", "relu")
    expect(page).to_have_url(f"{live_server}/#learn/panel=init&init-act=relu")
    _depth(page, 6)
    expect(page).to_have_url(f"{live_server}/#learn/panel=init&init-depth=6&init-act=relu")
    page.fill("input[name=budget]", "1.5")  # another panel's control joins the link
    expect(page).to_have_url(
        f"{live_server}/#learn/panel=init&init-depth=6&init-act=relu&budget=1.5"
    )
    # A table-of-contents link keeps the setup and changes only the panel.
    href = page.locator("nav.learn-toc a[data-toc=l1l2]").get_attribute("href")
    assert href == "#learn/panel=l1l2&init-depth=6&init-act=relu&budget=1.5"

    other = page.context.new_page()  # the link in a fresh page: the same setup
    other.goto(f"{live_server}/#learn/panel=init&init-depth=6&init-act=relu&budget=1.5")
    grid = other.locator("[data-panel=init]").get_by_test_id("init-grid")
    expect(grid).to_have_attribute("data-activation", "relu")
    expect(grid).to_have_attribute("data-depth", "6")
    expect(other.locator("select[name=init-act]")).to_have_value("relu")
    expect(other.get_by_test_id("constraint")).to_have_attribute("data-budget", "1.5")
    expect(other.locator("[data-panel=init]")).to_be_in_viewport()
    other.close()


def test_the_contour_plot_has_axes_and_a_colour_key(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/#learn/panel=optimizers&surface=saddle")
    expect(page.locator("select[name=surface]")).to_have_value("saddle")
    canvas = page.get_by_test_id("surface")
    expect(canvas).to_have_attribute("data-frame", "100")
    x0, x1 = SURFACES["saddle"].x_range
    x_axis = page.get_by_test_id("contour-x")
    ticks = x_axis.locator(".ct-tick")
    expect(ticks.first).to_have_text(f"{x0:g}")
    box = canvas.bounding_box()
    assert box
    for k in range(ticks.count()):  # each label sits over its x on the canvas
        t = ticks.nth(k)
        v = float(t.inner_text())
        tb = t.bounding_box()
        assert tb
        want = box["x"] + (v - x0) / (x1 - x0) * box["width"]
        assert abs(tb["x"] + tb["width"] / 2 - want) < 6, v  # a minus sign shifts the centre
    assert page.get_by_test_id("contour-y").locator(".ct-tick").count() >= 3
    key = page.get_by_test_id("contour-key")
    expect(key.locator(".ct-bands i")).to_have_count(16)
    labels = key.locator(".ct-key-labels span").all_inner_texts()
    assert len(labels) == 3 and float(labels[0]) < float(labels[2])
    page.locator("[data-panel=optimizers]").screenshot(
        path=str(shot(page, "learn-contour").with_name("learn-contour.png"))
    )


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_learn_is_accessible_and_clean(
    page: Page, live_server: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    with watch(page) as problems:
        page.goto(f"{live_server}/#learn")
        expect(page.get_by_test_id("init-grid")).to_have_attribute("data-depth", "10")
        expect(page.get_by_test_id("gf-summary")).not_to_be_empty()
        expect(page.get_by_test_id("surface")).to_have_attribute("data-frame", "100")
        page.get_by_test_id("run-gradcheck").click()
        expect(page.get_by_test_id("gc-summary")).not_to_be_empty()
        page.wait_for_timeout(500)
        assert axe_violations(page) == []
        shot(page, f"learn-{width}")
    assert problems == []
