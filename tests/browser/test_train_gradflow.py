"""The Train view's gradient-flow probe (issue 8): the form's box sets probe_every, the Live
panel draws the run's "gradflow" events, live and again when the run is reopened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own: its runs table starts empty, whatever ran before."""
    with serve(fresh_settings(tmp_path_factory, "train_gradflow")) as url:
        yield url


def start_run(page: Page, batch: str, probe_every: str | None) -> None:
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=batch_size]", batch)
    page.fill("input[name=epochs]", "1")
    box = page.get_by_test_id("probe")
    every = page.locator("input[name=probe_every]")
    if probe_every is None:
        box.uncheck()
        expect(every).to_be_disabled()
    else:
        box.check()
        expect(every).to_be_enabled()
        every.fill(probe_every)
    page.get_by_test_id("start").click()


def newest_run(page: Page, url: str) -> dict:
    return page.request.get(f"{url}/api/runs").json()[0]  # newest first


def test_record_gradient_flow_and_view_it_again(flow_server: str, page: Page) -> None:
    page.goto(f"{flow_server}/#train")
    expect(page.locator("input[name=probe_every]")).to_have_value("50")
    start_run(page, batch="16", probe_every="10")
    status = page.get_by_test_id("run-status")
    expect(status).to_contain_text("done", timeout=90_000)
    run = newest_run(page, flow_server)
    assert run["config"]["probe_every"] == 10

    card = page.get_by_test_id("gradflow-card")
    expect(card).to_be_visible()
    chart = card.get_by_test_id("gf-chart")
    # ceil(1438 / 16) = 90 iterations, probed on 1, 11, ..., 81; the MLP has 3 linear layers.
    expect(chart).to_have_attribute("data-points", "9")
    expect(chart).to_have_attribute("data-series", "3")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart.locator(".u-legend .u-series")).to_have_count(3)  # one per layer
    expect(card.get_by_test_id("gf-train-summary")).to_contain_text("Iteration 81: first layer")
    strip = card.get_by_test_id("gf-strip")
    expect(strip.locator("canvas.act-hist")).to_have_count(3)
    expect(strip).to_have_attribute("data-iter", "81")  # the newest probe while it runs
    total = int(strip.locator("canvas").first.get_attribute("data-total") or "0")
    assert total > 0
    card.get_by_test_id("gf-probe").fill("0")
    expect(card.get_by_test_id("gf-probe-label")).to_have_text("iteration 1 (probe 1 of 9)")
    expect(strip).to_have_attribute("data-iter", "1")
    card.scroll_into_view_if_needed()
    shot(page, "train_gradflow")

    # Reopened from the runs list: the same card from the stored events.
    page.reload()
    expect(page.get_by_test_id("gradflow-card")).to_be_hidden()
    page.locator(f'.runs-table tr[data-run="{run["id"]}"]').get_by_role(
        "button", name="view run"
    ).click()
    expect(status).to_contain_text("done")
    expect(chart).to_have_attribute("data-points", "9")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(strip.locator("canvas.act-hist")).to_have_count(3)
    page.set_viewport_size({"width": 390, "height": 844})
    card.scroll_into_view_if_needed()
    shot(page, "train_gradflow_phone")


def test_without_the_box_there_is_no_card(flow_server: str, page: Page) -> None:
    page.goto(f"{flow_server}/#train")
    expect(page.locator("input[name=probe_every]")).to_be_disabled()
    start_run(page, batch="64", probe_every=None)
    status = page.get_by_test_id("run-status")
    expect(status).to_contain_text("done", timeout=90_000)
    expect(page.get_by_test_id("final-accuracy")).to_contain_text("%")
    run = newest_run(page, flow_server)
    assert run["config"].get("probe_every") is None
    assert run["config"]["batch_size"] == 64
    expect(page.get_by_test_id("gradflow-card")).to_be_hidden()
    assert page.get_by_test_id("gradflow-card").locator("canvas").count() == 0
    shot(page, "train_no_gradflow")
