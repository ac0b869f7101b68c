"""A new user's walk through every view (issue 18), at a laptop's and a phone's size, from
a fresh browser: each view opens, its first obvious action works, and the page logs no
console error and no failed request (network failure or 4xx/5xx) on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import VIEWPORTS, watch
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def design(page: Page) -> None:
    expect(page.locator("[data-add=conv2d]")).to_be_visible()
    page.select_option("[data-testid=start]", "zoo:lenet5_mnist")
    expect(page.get_by_test_id("total-params")).to_have_text("61,706")
    page.click('li[data-path="layers.0"] > .row-main')
    expect(page.get_by_test_id("formula")).to_contain_text("=")
    page.click("[data-add=relu]")
    expect(page.get_by_test_id("status")).to_have_text("shapes work out")


def conv(page: Page) -> None:
    expect(page.locator("[data-formula]")).to_be_visible()
    expect(page.locator("[data-formula]")).to_contain_text("=")


def features(page: Page) -> None:
    expect(page.locator("#fm-status")).to_contain_text("layers", timeout=60_000)
    expect(page.locator("#fm-preds")).to_have_attribute("data-top", "7")
    page.locator("#fm-grids > .fm-layer").first.scroll_into_view_if_needed()
    expect(page.locator("#fm-grids > .fm-layer canvas").first).to_be_visible(timeout=30_000)


def train(page: Page) -> None:
    # LeNet-5 on MNIST, or the design the walk just left in Design when its shapes work out
    expect(page.locator("select[name=network]")).to_have_value(
        re.compile(r"^(zoo:lenet5_mnist|design:)$")
    )
    expect(page.get_by_test_id("iters-per-epoch")).to_contain_text("iterations per epoch")
    expect(page.locator(".guide-card").first).to_be_visible()


def learn(page: Page) -> None:
    expect(page.locator(".learn-toc a").first).to_be_visible()
    expect(page.locator("[data-panel]").first).to_be_visible()


VIEWS = [
    ("design", "#design", design),
    ("conv", "#conv", conv),
    ("features", "#features/net=weights:mnist_cnn&img=mnist-7", features),
    ("train", "#train", train),
    ("learn", "#learn", learn),
]


@pytest.mark.parametrize("size", VIEWPORTS, ids=["laptop", "phone"])
def test_every_view_as_a_new_user(browser: Browser, live_server: str, size) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page: Page = context.new_page()
    page.set_default_timeout(30_000)
    uncaught: list[str] = []
    page.on("pageerror", lambda exc: uncaught.append(str(exc)))
    with watch(page) as problems:
        for name, where, walk in VIEWS:
            page.goto(f"{live_server}/{where}")
            walk(page)
            page.wait_for_timeout(800)  # late answers (charts, previews) land too
            assert page.evaluate("document.documentElement.scrollWidth") <= size[0] + 1, name
            page.evaluate("window.scrollTo(0, 0)")
            shot(page, f"walk-{name}-{size[0]}")
        # and back through the tabs, as a person clicks them
        for name, _, _ in VIEWS:
            page.click(f'.tabs a[data-view="{name}"]')
            expect(page.locator(f'.tabs a[data-view="{name}"]')).to_have_attribute(
                "aria-current", "page"
            )
            page.wait_for_timeout(600)
    context.close()
    assert uncaught == [], uncaught
    assert problems == [], problems
