"""Issue 15's "done when": a run started in the browser on a server whose executor is Ray
trains on a Ray actor, streams its curve live, pauses, resumes and finishes as it does
on local workers (tests/browser/test_train.py), and the card says where runs train."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ray = pytest.importorskip("ray")
    settings = fresh_settings(tmp_path_factory, "ray").model_copy(
        update={"executor": "ray", "warm_workers": 1, "max_jobs": 1}
    )
    owned = not ray.is_initialized()  # the executor starts (and stops) its own instance
    with serve(settings) as url:
        yield url
    assert not owned or not ray.is_initialized()


def test_a_browser_run_trains_on_ray_live_pauses_resumes_and_finishes(
    ray_server: str, page: Page
) -> None:
    page.goto(f"{ray_server}/#train")
    card = page.get_by_test_id("cluster-card")
    expect(card.get_by_test_id("cluster-executor")).to_have_text("Ray cluster", timeout=30_000)
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", "20")
    page.fill("input[name=batch_size]", "8")  # 180 batches an epoch, 3,600 in all
    page.get_by_test_id("start").click()
    status = page.get_by_test_id("run-status")
    progress = page.locator(".progress-text")
    # Live: the curve moves while the actor trains (an iteration past the first, not done).
    expect(progress).to_contain_text(re.compile(r"iteration [1-9][\d,]* of 3,600"), timeout=90_000)
    expect(status).to_have_attribute("data-status", "running")
    expect(card.get_by_test_id("cluster-load")).to_contain_text("1/1 training")
    shot(page, "train_ray_live")
    page.get_by_test_id("pause").click()
    expect(status).to_have_attribute("data-status", "paused", timeout=60_000)
    paused_at = int(re.sub(r"\D", "", progress.inner_text().split(" of ")[0]))
    assert 0 < paused_at < 3600
    page.get_by_test_id("resume").click()
    expect(status).to_contain_text("done", timeout=180_000)
    expect(progress).to_contain_text("iteration 3,600 of 3,600")
    row = page.locator(".runs-table tbody tr").first
    expect(row.locator(".badge")).to_have_text("done")
    run = page.evaluate("async () => (await (await fetch('/api/runs')).json())[0]")
    assert run["ran_on"]["executor"] == "ray" and run["ran_on"]["device"] == "cpu"
    assert run["status"] == "done" and run["accuracy"] > 0.5
    shot(page, "train_ray_done")
