"""The merged Train view in its states (idle, a run training, a finished classification
run, a finished segmentation run) at a laptop's and a phone's width: nothing overlaps,
nothing runs off the page sideways, axe passes; a screenshot of each to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import VIEWPORTS, axe_violations
from tests.browser.conftest import fresh_settings, serve, shorten_runs, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The parts of the Train view that must not sit on top of each other.
CARDS = [
    ".train-setup",
    ".train-live .charts",
    ".train-inside",
    ".train-gradflow",
    ".train-masks",
    ".run-results",
    ".train-transfer",
    ".cluster-card",
    ".runs-table-wrap",
]


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(fresh_settings(tmp_path_factory, "train_layout")) as url:
        yield url


def overlaps(page: Page) -> list[str]:
    """Pairs of visible cards whose boxes intersect (by more than a pixel)."""
    return page.evaluate(
        """(sels) => {
          const boxes = sels.flatMap((s) => [...document.querySelectorAll(s)]
            .filter((el) => el.offsetParent !== null && !el.closest('[hidden]'))
            .map((el) => [s, el.getBoundingClientRect()]))
            .filter(([, r]) => r.width > 0 && r.height > 0);
          const out = [];
          for (let i = 0; i < boxes.length; i++)
            for (let j = i + 1; j < boxes.length; j++) {
              const [a, p] = boxes[i], [b, q] = boxes[j];
              const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
              const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
              const nested = document.querySelector(a).contains(document.querySelector(b))
                || document.querySelector(b).contains(document.querySelector(a));
              if (x > 1 && y > 1 && !nested) out.push(`${a} x ${b}`);
            }
          return out;
        }""",
        CARDS,
    )


def check_every_size(page: Page, name: str) -> None:
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)  # charts resize on the next frame
        wide = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert wide <= 0, f"{name} at {width}px runs {wide}px off the page sideways"
        assert overlaps(page) == [], f"{name} at {width}px"
        assert axe_violations(page) == [], f"{name} at {width}px"
        shot(page, f"train_layout_{name}_{width}")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_train_view_in_each_state(layout_server: str, page: Page) -> None:
    page.goto(f"{layout_server}/#train")
    expect(page.get_by_test_id("cluster-load")).to_contain_text("training")
    check_every_size(page, "idle")

    # A convolutional run with every card on: Inside the network and gradient flow.
    page.select_option("select[name=network]", "zoo:lenet5_mnist")
    page.select_option("select[name=dataset]", "mnist")
    page.fill("input[name=epochs]", "2")
    page.fill("input[name=batch_size]", "64")
    page.get_by_test_id("probe").check()
    page.fill("input[name=probe_every]", "10")
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("inside-card")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("gradflow-card")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("run-status")).to_contain_text("running")
    check_every_size(page, "training")

    expect(page.get_by_test_id("run-status")).to_contain_text("done", timeout=120_000)
    expect(page.get_by_test_id("final-accuracy")).to_contain_text("%")
    expect(page.get_by_test_id("wrong-grid").locator("figure").first).to_be_visible()
    where = page.get_by_test_id("wrong-where")  # the shared pager (widgets/pager.js)
    expect(where).to_have_text(re.compile(r"^1-\d+ of \d+$"))
    total = int(where.inner_text().split(" of ")[1])
    if total > 24:
        page.get_by_test_id("wrong-next").click()
        expect(where).to_have_text(f"25-{min(48, total)} of {total}")
        page.get_by_test_id("wrong-prev").click()
        expect(where).to_have_text(f"1-24 of {total}")
    score = page.locator(".runs-table tbody tr").first.get_by_test_id("run-score")
    expect(score).to_have_text(re.compile(r"^\d+\.\d%$"))
    check_every_size(page, "classification_done")

    shorten_runs(page)
    page.select_option("select[name=network]", "zoo:unet_small")
    expect(page.locator("select[name=dataset]")).to_have_value("shapes_masks")
    page.fill("input[name=epochs]", "1")
    page.fill("input[name=batch_size]", "16")
    page.get_by_test_id("start").click()
    status = page.get_by_test_id("run-status")
    expect(status).to_contain_text("Small U-Net: done", timeout=180_000)
    expect(page.get_by_test_id("final-miou")).to_be_visible()
    expect(page.get_by_test_id("worst-grid").locator("figure").first).to_be_visible(timeout=90_000)
    # The runs list says a segmentation run's score is its mean IoU.
    seg = page.locator(".runs-table tbody tr").first.get_by_test_id("run-score")
    expect(seg).to_have_text(re.compile(r"^mIoU [01]\.\d{3}$"))
    assert "pixel accuracy" in (seg.get_attribute("title") or "")
    check_every_size(page, "segmentation_done")
