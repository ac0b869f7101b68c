"""The Train view's first-hour stumbles (issue 18) in Chromium: a first Start that trains,
queued runs that say so, start times and durations, runs that outlive the page (a prompt,
an opt-in stop, a note on return), the setup in the link, disabled buttons, axe."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import VIEWPORTS, axe_violations, watch
from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def one_slot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own that trains one run at a time (the next one queues)."""
    settings = fresh_settings(tmp_path_factory, "train18").model_copy(update={"max_jobs": 1})
    with serve(settings) as url:
        yield url


def runs(page: Page, url: str) -> list[dict]:
    return page.request.get(f"{url}/api/runs").json()


def stop_all(page: Page, url: str) -> None:
    for r in runs(page, url):
        if r["status"] in ("queued", "running"):
            page.request.post(f"{url}/api/runs/{r['id']}/cancel")


@pytest.mark.slow
def test_the_first_start_trains_lenet5_on_mnist(one_slot: str, page: Page) -> None:
    with watch(page) as problems:
        page.goto(f"{one_slot}/#train")
        expect(page.locator("select[name=network]")).to_have_value("zoo:lenet5_mnist")
        expect(page.locator("select[name=dataset]")).to_have_value("mnist")
        page.fill("input[name=batch_size]", "256")
        page.fill("input[name=epochs]", "1")
        page.get_by_test_id("start").click()
        expect(page.get_by_test_id("run-status")).to_contain_text("done", timeout=90_000)
    assert problems == [], problems  # no 422 on the first Start
    row = page.locator(".runs-table tbody tr").first
    expect(row.get_by_test_id("run-started")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(row.get_by_test_id("run-took")).to_have_text(re.compile(r"^\d+ s$|^\d+ min \d\d s$"))
    expect(page.locator(".runs-table thead")).to_contain_text("Started")
    shot(page, "train-first-start")


def test_a_valid_design_is_the_default_and_an_empty_one_is_not(
    one_slot: str, browser: Browser
) -> None:
    for design, want, label in [
        (
            {
                "name": "Nothing yet",
                "input": {"channels": 1, "height": 28, "width": 28},
                "layers": [],
            },
            "zoo:lenet5_mnist",
            "(empty)",
        ),
        (
            {
                "name": "Mine",
                "input": {"channels": 1, "height": 28, "width": 28},
                "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}],
            },
            "design:",
            None,
        ),
    ]:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(
            f"localStorage.setItem('cnnplay.design', {json.dumps(json.dumps(design))})"
        )
        page = context.new_page()
        page.goto(f"{one_slot}/#train")
        expect(page.locator("select[name=network]")).to_have_value(want)
        if label:
            expect(page.locator('select[name=network] option[value="design:"]')).to_contain_text(
                label
            )
        context.close()


@pytest.mark.slow
def test_a_queued_run_says_so_and_runs_outlive_the_page(one_slot: str, page: Page) -> None:
    page.goto(f"{one_slot}/#train")
    page.fill("input[name=batch_size]", "8")
    page.fill("input[name=epochs]", "20")  # long enough to still run while we look
    page.get_by_test_id("start").click()
    status = page.get_by_test_id("run-status")
    expect(status).to_contain_text("running", timeout=60_000)
    expect(page.locator(".progress-text")).to_contain_text("iteration")
    page.get_by_test_id("start").click()  # the one slot is taken: this one queues
    expect(status).to_contain_text("queued")
    text = page.locator(".progress-text")
    expect(text).to_contain_text("queued")
    expect(text).not_to_contain_text("iteration")  # nothing of the previous run
    expect(text).to_have_text(re.compile(r"^queued(, next in line|, \d+ ahead)?$"))
    expect(page.locator(".runs-table .badge").first).to_contain_text("queued")
    shot(page, "train-queued")
    # back on the page (a reload): the runs still going get a note with Stop buttons
    page.reload()
    note = page.get_by_test_id("still-running")
    expect(note).to_be_visible()
    expect(note).to_contain_text("2 runs are still running")
    shot(page, "train-still-running")
    note.get_by_test_id("note-stop").first.click()
    expect(note).to_contain_text("1 run is still running")
    stop_all(page, one_slot)


@pytest.mark.slow
def test_closing_the_page_asks_and_can_stop_the_run(one_slot: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{one_slot}/#train")
    page.fill("input[name=batch_size]", "8")
    page.fill("input[name=epochs]", "20")
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("run-status")).to_contain_text(
        re.compile("running|queued"), timeout=60_000
    )
    run_id = runs(page, one_slot)[0]["id"]
    page.get_by_test_id("stop-on-leave").check()
    asked: list[str] = []

    def on_dialog(d) -> None:
        asked.append(d.type)
        d.accept()

    page.on("dialog", on_dialog)
    page.close(run_before_unload=True)
    page2 = context.new_page()
    for _ in range(100):
        if page2.request.get(f"{one_slot}/api/runs/{run_id}").json()["status"] == "cancelled":
            break
        page2.wait_for_timeout(100)
    assert asked == ["beforeunload"], asked
    assert page2.request.get(f"{one_slot}/api/runs/{run_id}").json()["status"] == "cancelled"
    context.close()


def test_the_setup_is_in_the_link(one_slot: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{one_slot}/#train")
    expect(page.locator("select[name=network]")).to_have_value("zoo:lenet5_mnist")
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", "3")
    page.fill("input[name=lr]", "0.01")
    page.select_option("select[name=optimizer]", "sgd")
    link = page.url
    q = parse_qs(link.split("#train/", 1)[1])
    assert q["epochs"] == ["3"] and q["lr"] == ["0.01"] and q["network"] == ["zoo:mlp"], q
    fresh = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    fresh.goto(link)
    expect(fresh.locator("select[name=network]")).to_have_value("zoo:mlp")
    expect(fresh.locator("select[name=dataset]")).to_have_value("digits")
    expect(fresh.locator("input[name=epochs]")).to_have_value("3")
    expect(fresh.locator("input[name=lr]")).to_have_value("0.01")
    expect(fresh.locator("select[name=optimizer]")).to_have_value("sgd")
    expect(fresh.get_by_test_id("iters-per-epoch")).to_contain_text("in all")
    fresh.context.close()
    context.close()


def test_a_disabled_primary_button_looks_disabled(one_slot: str, page: Page) -> None:
    page.goto(f"{one_slot}/#train")
    start = page.get_by_test_id("start")
    expect(start).to_be_enabled()
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.cursor]; }"
    on = start.evaluate(style)
    start.evaluate("el => { el.disabled = true; }")
    off = start.evaluate(style)
    assert off[0] != on[0] and off[1] == "not-allowed", (on, off)
    shot(page, "train-disabled-start")


@pytest.mark.parametrize("size", VIEWPORTS, ids=["laptop", "phone"])
def test_train_has_no_axe_violations(one_slot: str, page: Page, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{one_slot}/#train")
    expect(page.locator("select[name=network]")).to_have_value(re.compile("."))
    expect(page.locator(".guide-card").first).to_be_visible()
    page.wait_for_timeout(500)
    found = axe_violations(page)
    assert found == [], found
