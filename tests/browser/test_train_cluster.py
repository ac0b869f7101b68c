"""The Train view's capacity card (issue 15): where runs train, busy of slots, the queue,
each node's CPUs and GPUs; where each run trained in the runs list."""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def one_slot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One run trains at a time, so a second one waits in the queue."""
    settings = fresh_settings(tmp_path_factory, "cluster").model_copy(update={"max_jobs": 1})
    with serve(settings) as url:
        yield url


def start_long_run(page: Page) -> None:
    """A run that trains long enough to be seen busy (it is cancelled by the test)."""
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", "50")
    page.fill("input[name=batch_size]", "8")
    page.get_by_test_id("start").click()


def busy(text: str) -> re.Pattern[str]:
    """The card's load line: `text`, then the warm workers ready, which come and go as the
    pool refills after each run (server/jobs/pool.py)."""
    return re.compile(rf"^{re.escape(text)}( · \d+ workers? ready)?$")


def cancel_all(page: Page) -> None:
    page.evaluate(
        """async () => {
          for (const r of await (await fetch('/api/runs')).json())
            if (['queued', 'running'].includes(r.status))
              await fetch(`/api/runs/${r.id}/cancel`, { method: 'POST' });
        }"""
    )


def test_the_card_shows_this_machine_and_follows_the_queue(one_slot: str, page: Page) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/cluster") else None)
    page.goto(f"{one_slot}/#train")
    card = page.get_by_test_id("cluster-card")
    expect(card.get_by_test_id("cluster-executor")).to_have_text("This machine")
    load = card.get_by_test_id("cluster-load")
    expect(load).to_have_text(busy("0/1 training, 0 queued"))
    cpus = os.cpu_count() or 1
    node = card.locator(f'[data-node="{socket.gethostname()}"]')
    expect(node).to_contain_text(f"{cpus} CPU{'' if cpus == 1 else 's'} · 0 GPUs")
    expect(card.get_by_test_id("cluster-more")).to_be_hidden()
    assert axe_violations(page) == []
    shot(page, "train_cluster_idle")

    start_long_run(page)
    expect(load).to_have_text(busy("1/1 training, 0 queued"))
    start_long_run(page)  # the one slot is taken: this one waits
    expect(load).to_have_text(busy("1/1 training, 1 queued"))
    rows = page.locator(".runs-table tbody tr")
    expect(rows).to_have_count(2)
    # Newest first: the waiting run has not been placed; the training one has.
    expect(rows.nth(0).get_by_test_id("ran-on")).to_have_count(0)
    where = rows.nth(1).get_by_test_id("ran-on")
    expect(where).to_have_text(f"cpu · {socket.gethostname()}")
    assert "worker pid" in (where.get_attribute("title") or "")
    shot(page, "train_cluster_busy")
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []
    shot(page, "train_cluster_busy_phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    cancel_all(page)
    expect(load).to_have_text(busy("0/1 training, 0 queued"))  # polled: nothing told the page

    # Leaving the view stops the polling.
    page.goto(f"{one_slot}/#design")
    expect(page.get_by_test_id("layer-list")).to_be_visible()
    before = len(asked)
    page.wait_for_timeout(7000)  # more than two polls' time
    assert len(asked) == before, asked[before:]


def many_nodes() -> dict[str, object]:
    nodes = [
        {"id": f"node-{i}", "address": f"10.0.0.{i}", "cpus": 8, "gpus": 1, "alive": i != 7}
        for i in range(12)
    ]
    return {
        "executor": "ray",
        "nodes": nodes,
        "cpus": 88,
        "gpus": 11,
        "slots": 11,
        "busy": 3,
        "queued": 5,
    }


def test_a_cluster_of_many_nodes_folds_and_shows_the_dead_one(one_slot: str, page: Page) -> None:
    def fake(route: Route) -> None:
        route.fulfill(content_type="application/json", body=json.dumps(many_nodes()))

    page.route("**/api/cluster", fake)
    page.goto(f"{one_slot}/#train")
    card = page.get_by_test_id("cluster-card")
    expect(card.get_by_test_id("cluster-executor")).to_have_text("Ray cluster")
    expect(card.get_by_test_id("cluster-load")).to_have_text("3/11 training, 5 queued")
    expect(card.get_by_test_id("cluster-totals")).to_have_text(
        "11 of 12 nodes alive · 88 CPUs · 11 GPUs"
    )
    shown = card.locator(".cluster-nodes li")
    expect(shown).to_have_count(4)
    expect(shown.nth(0)).to_have_attribute("data-node", "node-7")  # the dead one first
    expect(shown.nth(0)).to_have_class("dead")
    expect(shown.nth(0)).to_contain_text("dead")
    expect(shown.nth(1)).to_contain_text("8 CPUs · 1 GPU")
    expect(card.get_by_test_id("cluster-more")).to_have_text("+8 more")
    assert axe_violations(page) == []
    shot(page, "train_cluster_ray")
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []
    shot(page, "train_cluster_ray_phone")
